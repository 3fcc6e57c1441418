export { Simulation, sleep, until, type SimulationOptions, type KillMode } from './simulation/simulation.ts'
export { runScenario, type ScenarioOptions, type ScenarioReport, type FailoverRecord } from './simulation/scenario.ts'
export { shareSignatureChecks } from './simulation/shared-verification.ts'
export { parseCli, defaultHeartbeatMs, simulationElectionTimings } from './cli.ts'
