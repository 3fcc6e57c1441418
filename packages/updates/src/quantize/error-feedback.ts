import { dequantize, quantizeDelta } from './quantize.ts'
import type { QuantizeOptions } from './quantize.ts'
import type { QuantizedDelta, Tensor } from './types.ts'
import { sameShape } from './types.ts'

/**
 * Error feedback (as in EF-SGD): what quantisation dropped this round is added to the next round's delta,
 * so top-k and int8 errors do not accumulate into a bias over many rounds. One instance per trainer.
 */
export class ErrorFeedback {
  private residual: Tensor[] | undefined

  /** Quantises delta + carried residual, and keeps (delta + residual) - dequantised as the next residual. */
  quantize (delta: readonly Tensor[], opts: QuantizeOptions): QuantizedDelta {
    const compensated = this.residual === undefined
      ? delta.map(t => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }))
      : this.addResidual(delta, this.residual)
    const quantized = quantizeDelta(compensated, opts)
    const sent = dequantize(quantized)
    compensated.forEach((t, i) => {
      const s = (sent[i] as Tensor).data
      for (let j = 0; j < t.data.length; j++) t.data[j] = (t.data[j] as number) - (s[j] as number)
    })
    this.residual = compensated
    return quantized
  }

  /** L2 norm of the residual waiting for the next round (0 before the first round). */
  residualNorm (): number {
    let sum = 0
    for (const t of this.residual ?? []) for (const x of t.data) sum += x * x
    return Math.sqrt(sum)
  }

  /** Forget the residual, e.g. when the model architecture or the session changes. */
  reset (): void {
    this.residual = undefined
  }

  private addResidual (delta: readonly Tensor[], residual: Tensor[]): Tensor[] {
    if (delta.length !== residual.length) {
      throw new RangeError(`delta has ${delta.length} tensors but the carried residual has ${residual.length}; call reset() when the model changes`)
    }
    return delta.map((t, i) => {
      const r = residual[i] as Tensor
      if (t.name !== r.name || !sameShape(t.shape, r.shape) || t.data.length !== r.data.length) {
        throw new RangeError(`delta tensor ${i} ('${t.name}') does not match the carried residual ('${r.name}'); call reset() when the model changes`)
      }
      const data = new Float32Array(t.data.length)
      for (let j = 0; j < data.length; j++) data[j] = (t.data[j] as number) + (r.data[j] as number)
      return { name: t.name, shape: [...t.shape], data }
    })
  }
}
