import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { decideNetns, netnsCommand, parseNetDev, probeUnshare } from '../src/netns.ts'

describe('decideNetns', () => {
  it('re-executes only as root, outside a namespace, when not disabled', () => {
    expect(decideNetns({ isRoot: true, marker: undefined, disabled: false })).toEqual({ action: 'reexec' })
    expect(decideNetns({ isRoot: true, marker: '1', disabled: false })).toEqual({ action: 'inside' })
    expect(decideNetns({ isRoot: true, marker: undefined, disabled: true })).toMatchObject({ action: 'host', reason: '--no-netns was given' })
    expect(decideNetns({ isRoot: false, marker: undefined, disabled: false })).toMatchObject({ action: 'host', reason: expect.stringMatching(/not running as root/) })
  })
})

describe('parseNetDev', () => {
  it('lists interface names', () => {
    const text = 'Inter-|   Receive\n face |bytes    packets\n    lo:       0       0\n  eth0: 12 3\n'
    expect(parseNetDev(text)).toEqual(['eth0', 'lo'])
  })
})

const isRoot = process.getuid?.() === 0
describe.skipIf(!isRoot || !probeUnshare().ok)('netnsCommand (as root)', () => {
  it('runs the command unchanged, arguments with spaces and quotes intact, in a namespace with only lo up', () => {
    const [cmd, ...args] = netnsCommand([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)), require("fs").readFileSync("/proc/self/net/dev", "utf8"))', 'a b', '"$HOME"', "it's"])
    const r = spawnSync(cmd!, args, { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const [argvLine, ...dev] = r.stdout.split('\n')
    expect(JSON.parse(argvLine!.split(' Inter-')[0]!)).toEqual(['a b', '"$HOME"', "it's"])
    expect(parseNetDev(['Inter-', ...dev].join('\n'))).toEqual(['lo'])
  })
})
