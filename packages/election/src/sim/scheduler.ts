interface Task {
  at: number
  seq: number
  run: () => void
}

/**
 * Discrete-event scheduler with a simulated clock: tasks run in time order (ties in scheduling order), and time
 * jumps from one task to the next, so hours of simulated time cost only the work done in them.
 */
export class Scheduler {
  private time: number
  private seq = 0
  private readonly heap: Task[] = []
  readonly clock: { now(): number }

  constructor (startMs = 0) {
    this.time = startMs
    this.clock = { now: () => this.time }
  }

  get now (): number {
    return this.time
  }

  get pending (): number {
    return this.heap.length
  }

  /** Run `fn` at simulated time `at` (not before now). */
  at (at: number, fn: () => void): void {
    if (!Number.isFinite(at)) throw new RangeError(`Scheduler.at needs a finite time, got ${at}`)
    this.push({ at: Math.max(at, this.time), seq: this.seq++, run: fn })
  }

  after (delayMs: number, fn: () => void): void {
    this.at(this.time + delayMs, fn)
  }

  /** Run `fn` every `periodMs`, first at `firstAt`; returns a function that stops it. */
  every (periodMs: number, fn: () => void, firstAt = this.time + periodMs): () => void {
    if (!(periodMs > 0)) throw new RangeError(`Scheduler.every needs a period > 0, got ${periodMs}`)
    let stopped = false
    const loop = (): void => {
      if (stopped) return
      fn()
      this.after(periodMs, loop)
    }
    this.at(firstAt, loop)
    return () => { stopped = true }
  }

  /** Run every task due up to and including `until`, then set the clock to `until`. */
  runUntil (until: number): void {
    while (this.heap.length > 0 && (this.heap[0] as Task).at <= until) {
      const task = this.pop()
      this.time = task.at
      task.run()
    }
    if (until > this.time) this.time = until
  }

  runFor (ms: number): void {
    this.runUntil(this.time + ms)
  }

  /**
   * Run until `done()` holds (checked after each task, and first before any) or `until` is reached.
   * Returns the simulated time at which `done()` first held, or undefined.
   */
  runUntilTrue (done: () => boolean, until: number): number | undefined {
    if (done()) return this.time
    while (this.heap.length > 0 && (this.heap[0] as Task).at <= until) {
      const task = this.pop()
      this.time = task.at
      task.run()
      if (done()) return this.time
    }
    if (until > this.time) this.time = until
    return undefined
  }

  private push (task: Task): void {
    const heap = this.heap
    heap.push(task)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(task, heap[parent] as Task)) break
      heap[i] = heap[parent] as Task
      i = parent
    }
    heap[i] = task
  }

  private pop (): Task {
    const heap = this.heap
    const top = heap[0] as Task
    const last = heap.pop() as Task
    if (heap.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        let item = last
        if (l < heap.length && before(heap[l] as Task, item)) { smallest = l; item = heap[l] as Task }
        if (r < heap.length && before(heap[r] as Task, item)) { smallest = r }
        if (smallest === i) break
        heap[i] = heap[smallest] as Task
        i = smallest
      }
      heap[i] = last
    }
    return top
  }
}

function before (a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
