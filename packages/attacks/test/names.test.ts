import { describe, expect, it } from 'vitest'
import { ATTACK_NAMES, ATTACK_STAGE, UnknownAttackError, isAttackName, parseAttack } from '../src/index.ts'

describe('parseAttack', () => {
  it('accepts every attack name, ignoring case and surrounding spaces', () => {
    for (const name of ATTACK_NAMES) {
      expect(parseAttack(name)).toBe(name)
      expect(parseAttack(` ${name.toUpperCase()} `)).toBe(name)
    }
  })

  it('treats an absent or empty parameter as no attack', () => {
    expect(parseAttack(undefined)).toBe('none')
    expect(parseAttack(null)).toBe('none')
    expect(parseAttack('')).toBe('none')
  })

  it('refuses an unknown name with the list of valid ones', () => {
    expect(() => parseAttack('x')).toThrow(UnknownAttackError)
    expect(() => parseAttack('x')).toThrow(`unknown attack 'x'; expected one of ${ATTACK_NAMES.join(', ')}`)
    expect(() => parseAttack('sign_flip')).toThrow(/unknown attack 'sign_flip'; expected one of none, sign-flip, /)
    expect(isAttackName('alie')).toBe(true)
    expect(isAttackName('ALIE')).toBe(false)
  })

  it('covers every attack the protocol design names, each with a stage', () => {
    for (const name of ['sign-flip', 'gaussian', 'alie', 'ipm', 'label-flip', 'nan', 'garbage', 'oversized', 'lying-coordinator']) {
      expect(ATTACK_NAMES).toContain(name)
    }
    for (const name of ATTACK_NAMES) expect(ATTACK_STAGE[name]).toBeTypeOf('string')
    expect(ATTACK_STAGE['label-flip']).toBe('data')
    expect(ATTACK_STAGE.alie).toBe('model')
    expect(ATTACK_STAGE['lying-coordinator']).toBe('coordinator')
  })
})
