import { describe, expect, it } from 'vitest'
import { parseCli, UsageError } from '../src/cli.ts'
import { attackerTabs, DEFAULT_OPTIONS, DEFAULT_TRAINING, tabUrl, trainingParams, validateOptions } from '../src/options.ts'
import type { TrainingSpec } from '../src/options.ts'
import { closeTarget } from '../src/harness.ts'

describe('training options', () => {
  it('maps the training flags onto a TrainingSpec', () => {
    const c = parseCli(['--tabs', '9', '--task', 'mnist', '--rounds', '6', '--rule', 'krum', '--f', '2', '--min-participants', '7',
      '--round-deadline-ms', '20000', '--learn-every-ms', '3000', '--train-after-model-ms', '1000', '--attackers', '2', '--attack', 'sign-flip, garbage',
      '--close-coordinator-at', '45', '--training-timeout', '240'])
    expect(c.options.training).toEqual({
      task: 'mnist', rounds: 6, rule: 'krum', f: 2, minParticipants: 7, roundDeadlineMs: 20000, learnEveryMs: 3000, trainAfterModelMs: 1000,
      attackers: 2, attacks: ['sign-flip', 'garbage'], closeCoordinatorAtS: 45, timeoutS: 240
    })
  })

  it('is absent without training flags, and any one flag starts a session with the defaults', () => {
    expect(parseCli(['--tabs', '4']).options.training).toBeUndefined()
    expect(parseCli(['--rounds', '3']).options.training).toEqual({ ...DEFAULT_TRAINING, rounds: 3, attacks: [] })
  })

  it('names the flag when a number is not one', () => {
    expect(() => parseCli(['--f', 'two'])).toThrow(new UsageError('--f needs a number, got "two"'))
    expect(() => parseCli(['--close-coordinator-at', ''])).toThrow(/--close-coordinator-at needs a number/)
  })

  const spec = (t: Partial<TrainingSpec>): TrainingSpec => ({ ...DEFAULT_TRAINING, attacks: [], ...t })
  const problems = (tabs: number, t: Partial<TrainingSpec>): string[] => validateOptions({ ...DEFAULT_OPTIONS, tabs, training: spec(t) })

  it('accepts a sound session and refuses what cannot run, saying why', () => {
    expect(problems(9, { rule: 'krum', f: 2, minParticipants: 7, attackers: 2, attacks: ['sign-flip', 'garbage'], closeCoordinatorAtS: 30 })).toEqual([])
    expect(problems(4, { task: 'cifar' as TrainingSpec['task'] })).toEqual(['--task must be one of link-health, mnist, got "cifar"'])
    expect(problems(4, { rounds: 0 })[0]).toMatch(/--rounds must be an integer >= 1/)
    expect(problems(4, { attackers: 4, attacks: ['nan'] })).toEqual(['--attackers 4 leaves no honest tab among 4'])
    expect(problems(4, { attackers: 1 })).toEqual(['--attackers needs --attack NAME[,NAME...]'])
    expect(problems(4, { attacks: ['nan'] })).toEqual(['--attack needs --attackers K (how many tabs attack)'])
    expect(problems(4, { attackers: 1, attacks: ['bogus'] })[0]).toMatch(/unknown attack "bogus"; expected one of sign-flip/)
    expect(problems(4, { attackers: 1, attacks: ['label-flip'] })).toEqual(['--attack label-flip flips digit labels: it needs --task mnist'])
    expect(problems(4, { task: 'mnist', attackers: 1, attacks: ['label-flip'] })).toEqual([])
    expect(problems(1, { closeCoordinatorAtS: 5 })).toEqual(['--close-coordinator-at needs at least 2 tabs'])
    expect(parseCli(['--tabs', '9', '--close-coordinator-at-version', '2']).options.training?.closeCoordinatorAtVersion).toBe(2)
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 2 })).toEqual([])
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 6 })).toEqual(['--close-coordinator-at-version 6 leaves no round after the close (--rounds 6)'])
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 0 })[0]).toMatch(/--close-coordinator-at-version must be an integer >= 1/)
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 2, closeCoordinatorAtS: 10 })).toEqual(['give --close-coordinator-at or --close-coordinator-at-version, not both'])
    expect(parseCli(['--tabs', '9', '--close-coordinator-at-version', '2', '--close-how', 'crash']).options.training?.closeHow).toBe('crash')
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 2, closeHow: 'crash' })).toEqual([])
    expect(problems(9, { rounds: 6, closeCoordinatorAtVersion: 2, closeHow: 'kill' as TrainingSpec['closeHow'] })).toEqual(['--close-how must be close or crash, got kill'])
    expect(problems(9, { rounds: 6, closeHow: 'crash' })).toEqual(['--close-how needs --close-coordinator-at or --close-coordinator-at-version (it says how that tab goes)'])
    expect(problems(4, { f: -1, minParticipants: 0 })).toEqual(['--f must be an integer >= 0, got -1', '--min-participants must be an integer >= 1, got 0'])
    expect(problems(4, { trainAfterModelMs: 0 })).toEqual([])
    expect(problems(4, { trainAfterModelMs: -5 })).toEqual(['--train-after-model-ms must be an integer >= 0, got -5'])
  })

  it('makes the last K tabs attackers, cycling through the attacks', () => {
    const t = spec({ rule: 'krum', f: 2, minParticipants: 7, learnEveryMs: 3000, attackers: 3, attacks: ['sign-flip', 'garbage'] })
    expect(attackerTabs(8, t)).toEqual([5, 6, 7])
    expect(attackerTabs(8, undefined)).toEqual([])
    const attackOf = (i: number): string | undefined => trainingParams(i, 8, t).find(([k]) => k === 'attack')?.[1]
    expect([0, 4, 5, 6, 7].map(attackOf)).toEqual([undefined, undefined, 'sign-flip', 'garbage', 'sign-flip'])
    expect(trainingParams(0, 8, t)).toEqual([['task', 'link-health'], ['rounds', '10'], ['rule', 'krum'], ['f', '2'], ['minParticipants', '7'], ['learnEveryMs', '3000']])
    expect(trainingParams(0, 8, undefined)).toEqual([])
    expect(trainingParams(0, 8, { ...t, trainAfterModelMs: 1000 }).at(-1)).toEqual(['trainAfterModelMs', '1000'])
  })

  it('puts the per-tab parameters in the URL, under the user\'s own --url-param', () => {
    const url = new URL(tabUrl('http://127.0.0.1:1/', '/ip4/x', { heartbeatMs: 1000, urlParams: [['rounds', '2']] }, [['attack', 'nan'], ['rounds', '9']]))
    expect(url.searchParams.get('attack')).toBe('nan')
    expect(url.searchParams.get('rounds')).toBe('2')
  })
})

describe('closeTarget (--close-coordinator-at-version)', () => {
  it('moves to the latest version some honest tab holds, so one lagging tab does not delay the close into a later round', () => {
    const held = (highest: number) => (v: number): boolean => v <= highest
    expect(closeTarget(2, 20, held(1))).toBe(2) // nobody past 2 yet: close as 2 lands everywhere
    expect(closeTarget(2, 20, held(2))).toBe(2)
    expect(closeTarget(2, 20, held(4))).toBe(4) // version 4 is out: close as it lands everywhere
    expect(closeTarget(2, 5, held(9))).toBe(4) // a round must follow the close: never the last version
    expect(closeTarget(2, undefined, held(7))).toBe(7)
  })
})

