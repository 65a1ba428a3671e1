export { startKongEmulator } from "./emulator.ts";
export type {
  AcceptedConfig,
  KongEmulator,
  KongEmulatorOptions,
  RecordedRequest,
} from "./emulator.ts";
export type { Fault, FaultHandle } from "./faults.ts";
export type { ListenerSpec } from "./listeners.ts";
