/**
 * `<fedmesh-node>`: a Lit web component that renders one node's status (peer id, relay, neighbours by transport,
 * membership, heartbeat rate, rejected messages, the learner's panel, the federated session: round, model version,
 * coordinator). Embed it in any page and call `attach(node)`.
 */
import { LitElement, html, css, nothing } from 'lit'
import type { FedmeshNode, FedmeshStatus, LearningStatus, TrainingStatus } from '@fedmesh/node'

export class FedmeshNodeElement extends LitElement {
  static override properties = { status: { state: true }, failure: { state: true } }
  static override styles = css`
    :host { display: block; max-width: 980px; }
    h1 { font-size: 1.2rem; margin: 0 0 .5rem; }
    code { font-size: .85em; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: .5rem; margin: .75rem 0; }
    .card { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: .5rem .75rem; }
    .card b { display: block; font-size: 1.3rem; }
    table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1rem; }
    th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #eef0f4; font-size: .85rem; }
    .alive { color: #137333; } .suspect { color: #b06000; } .dead { color: #c5221f; }
    .error { background: #fde7e7; border: 1px solid #f3b3b3; padding: .5rem .75rem; border-radius: 6px; }
    .learning { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: .5rem .75rem; margin-bottom: 1rem; font-size: .85rem; }
    .learning dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: 0; }
    .learning dt { color: #5f6b7a; } .learning dd { margin: 0; }
    .anomalous { color: #c5221f; font-weight: 600; }
  `

  declare status: FedmeshStatus | undefined
  declare failure: string | undefined
  private node?: FedmeshNode
  private timer?: ReturnType<typeof setInterval>

  attach (node: FedmeshNode): void {
    this.node = node
    this.refresh()
    this.timer ??= setInterval(() => { if (document.visibilityState === 'visible') this.refresh() }, 2000)
  }

  fail (message: string): void { this.failure = message }

  override disconnectedCallback (): void {
    super.disconnectedCallback()
    if (this.timer != null) clearInterval(this.timer)
  }

  private refresh (): void {
    if (this.node != null) this.status = this.node.status()
  }

  override render () {
    if (this.failure != null) return html`<h1>fedmesh node</h1><p class="error">Cannot start: ${this.failure}</p>`
    const s = this.status
    if (s == null) return html`<h1>fedmesh node</h1><p>starting…</p>`
    const direct = s.neighbours.filter(n => n.transport === 'webrtc' || n.transport === 'memory')
    const relayed = s.neighbours.filter(n => n.transport === 'relayed')
    const rejected = Object.entries(s.rejected)
    return html`
      <h1>fedmesh node <code>${s.peerId}</code></h1>
      ${s.error != null ? html`<p class="error">${s.error}</p>` : nothing}
      <div class="grid">
        <div class="card">direct WebRTC peers<b>${direct.length}</b></div>
        <div class="card">relayed circuits<b>${relayed.length}</b></div>
        <div class="card">alive members<b>${s.membership.filter(m => m.state === 'alive').length}</b></div>
        <div class="card">heartbeats / s<b>${s.heartbeatRatePerSec.toFixed(1)}</b></div>
        <div class="card">relay<b>${s.relay.connected ? (s.relay.reserved ? 'reserved' : 'connected') : 'offline'}</b></div>
      </div>
      ${s.training != null && s.training.state !== 'idle' ? trainingPanel(s.training, s.peerId) : nothing}
      ${s.learning != null ? learningPanel(s.learning) : nothing}
      <h2>Neighbours</h2>
      <table>
        <tr><th>peer</th><th>transport</th><th>direction</th><th>RTT ms</th><th>loss</th><th>link anomaly</th></tr>
        ${s.neighbours.map(n => html`<tr><td><code>${short(n.peerId)}</code></td><td>${n.transport === 'webrtc' ? 'direct (WebRTC)' : n.transport}</td><td>${n.direction}</td><td>${n.rttMs?.toFixed(1) ?? '–'}</td><td>${n.loss != null ? (n.loss * 100).toFixed(0) + ' %' : '–'}</td><td>${linkScore(s.learning, n.peerId)}</td></tr>`)}
      </table>
      <h2>Membership</h2>
      <table>
        <tr><th>peer</th><th>state</th><th>phi</th><th>last heard</th><th>heartbeats</th><th>its direct peers</th></tr>
        ${s.membership.map(m => html`<tr><td><code>${short(m.peerId)}</code></td><td class=${m.state}>${m.state}${m.hidden ? ' (hidden)' : ''}</td><td>${m.phi.toFixed(2)}</td><td>${(m.lastHeardMsAgo / 1000).toFixed(1)} s ago</td><td>${m.heartbeats}</td><td>${m.directPeers ?? '–'}</td></tr>`)}
      </table>
      <h2>Rejected messages</h2>
      ${rejected.length === 0 ? html`<p>none</p>` : html`<table>${rejected.map(([r, n]) => html`<tr><td>${r}</td><td>${n}</td></tr>`)}</table>`}
      <p><small>relay ${s.relay.addrs.join(', ')} · bootstraps ${s.relay.bootstraps} · dials ${s.counters.dialsSucceeded}/${s.counters.dialsStarted} ok</small></p>
    `
  }
}

/** The learner: backend (and why not the first choice), model version, training progress, main-thread lag, scores. */
function learningPanel (l: LearningStatus) {
  const a = l.anomaly
  return html`
    <h2>Learning</h2>
    <div class="learning">
      <dl>
        <dt>task</dt><dd>${l.task} · ${l.state}${l.error != null ? html` · <span class="anomalous">${l.error}</span>` : nothing}</dd>
        ${l.backend != null ? html`<dt>backend</dt><dd>${l.backend}${l.fallbackReason != null ? ` (fell back: ${l.fallbackReason})` : ''}</dd>` : nothing}
        <dt>model</dt><dd>version ${l.modelVersion}${l.resumedFrom != null ? ` (resumed from checkpoint v${l.resumedFrom})` : ''}${l.parameterCount != null ? ` · ${l.parameterCount} weights` : ''}${l.checkpoint?.version != null ? ` · saved v${l.checkpoint.version}` : ''}</dd>
        ${l.checkpointProblem != null ? html`<dt>checkpoint</dt><dd class="anomalous">${l.checkpointProblem}</dd>` : nothing}
        <dt>training</dt><dd>${l.samples} samples · ${l.runs} runs${l.lastLoss != null ? ` · loss ${fmt(l.lastLossBefore)} → ${fmt(l.lastLoss)}` : ''}${l.epochMs != null ? ` · ${l.epochMs.toFixed(0)} ms/epoch` : ''}</dd>
        ${l.worstLagMs != null ? html`<dt>page lag</dt><dd>worst ${l.worstLagMs.toFixed(0)} ms while training (last ${l.lastLagMs?.toFixed(0) ?? '–'} ms)</dd>` : nothing}
        ${a != null ? html`<dt>node anomaly</dt><dd class=${a.node >= 3 ? 'anomalous' : ''}>${a.node.toFixed(2)} (${a.topFeature})${a.calibrated ? '' : ' · calibrating'}${a.anomalousLinks.length > 0 ? ` · anomalous links: ${a.anomalousLinks.map(short).join(', ')}` : ''}</dd>` : nothing}
      </dl>
    </div>`
}

/** The federated session: round in play, global model version, coordinator, the last round's outcome. */
function trainingPanel (t: TrainingStatus, self: string) {
  const last = t.lastRound
  const rejected = Object.entries(t.models.rejectReasons)
  return html`
    <h2>Federated session</h2>
    <div class="grid">
      <div class="card">round<b>${t.round ?? '–'}</b></div>
      <div class="card">model version<b>${t.version}</b></div>
      <div class="card">coordinator<b><code>${t.coordinator == null ? '–' : t.coordinator === self ? 'this tab' : short(t.coordinator)}</code></b></div>
      <div class="card">term<b>${t.term}</b></div>
      <div class="card">updates this round<b>${t.participants != null ? `${t.participants.reported}${t.participants.expected != null ? ` / ${t.participants.expected}` : ''}` : '–'}</b></div>
    </div>
    <div class="learning">
      <dl>
        <dt>session</dt><dd>${t.session ?? '–'} · ${t.state}${t.message != null ? html` · <span class="anomalous">${t.message}</span>` : nothing} · ${t.config.rule} f=${t.config.f}, ≥ ${t.config.minParticipants} updates${t.attack !== 'none' ? html` · <span class="anomalous">attacker: ${t.attack}</span>` : nothing}</dd>
        <dt>models</dt><dd>${t.models.verified} verified · ${t.models.coordinated} coordinated · ${t.models.fetched} fetched · ${t.models.rejected} rejected${rejected.length > 0 ? ` (${rejected.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}</dd>
        ${last != null ? html`<dt>last round</dt><dd>v${last.version} by <code>${last.coordinator === self ? 'this tab' : short(last.coordinator)}</code> · ${last.included.length} updates, ${last.excluded.length} left out by ${last.rule}${last.overheadMs.total != null ? ` · ${last.overheadMs.total.toFixed(0)} ms from last update to verified` : ''}</dd>` : nothing}
        ${t.quarantined.length > 0 ? html`<dt>quarantined</dt><dd class="anomalous">${t.quarantined.map(short).join(', ')}</dd>` : nothing}
      </dl>
    </div>`
}

function linkScore (l: LearningStatus | undefined, peerId: string) {
  const score = l?.anomaly?.links[peerId]
  if (score == null) return '–'
  return html`<span class=${score >= 3 ? 'anomalous' : ''}>${score.toFixed(2)}</span>`
}

function fmt (x: number | undefined): string {
  if (x == null) return '–'
  return x < 0.01 ? x.toExponential(2) : x.toFixed(3)
}

function short (id: string): string { return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id }

if (customElements.get('fedmesh-node') == null) customElements.define('fedmesh-node', FedmeshNodeElement)
