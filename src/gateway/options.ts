/** The gateway's options, counters and status: what a host configures and reads. */
import type { City } from "../catalog/index.js";
import type { EngineCounters, HealthReport, OccupancyOptions } from "../occupancy/index.js";
import type { Policy } from "../pricing/index.js";
import type { DecoderRegistry } from "./decoders.js";
import type { RejectReason } from "./errors.js";
import type { StorageOptions } from "./storage.js";
import type { DeviceHealth } from "./uplinks.js";

/** Connection to the broker, as mqtt.js takes it. Credentials are never logged. */
export interface BrokerOptions {
  /** Broker URL: mqtt://, mqtts://, ws://, wss://. */
  readonly url: string;
  /** Fixed client id, so the broker keeps the session (and queues QoS 1 messages) while the gateway is down. Default "parkir-<city id>". */
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** TLS: CA certificate(s), client certificate and key (PEM), and whether to verify the server. */
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly rejectUnauthorized?: boolean;
  /** Keep-alive, s. Default 30. */
  readonly keepalive?: number;
  /** 4 (MQTT 3.1.1, the default: what The Things Stack speaks) or 5 (sends receiveMaximum = inflightMax). */
  readonly protocolVersion?: 4 | 5;
  /** MQTT 5: most unacknowledged messages the broker may send at once. Default 1000. */
  readonly inflightMax?: number;
}

/** Topic filters subscribed at QoS 1 (false: not subscribed). */
export interface SubscribeOptions {
  /** The Things Stack v3 uplinks. Default "v3/+/devices/+/up" (matches `app` and `app@tenant`). */
  readonly tts?: string | false;
  /** ChirpStack v4 uplink events. Default "application/+/device/+/event/up". */
  readonly chirpstack?: string | false;
  /** Plain CDS event JSON (an event or an array). Default "parkir/<city id>/in/events". */
  readonly cds?: string | false;
}

/** What the gateway publishes back to the broker. */
export interface PublishOptions {
  /** Topic prefix. Default "parkir/<city id>". */
  readonly prefix?: string;
  /** Live snapshot per point every this many ms (only points that changed). Default 10 000; 0: never. */
  readonly snapshotIntervalMs?: number;
}

/** Options of createGateway. */
export interface GatewayOptions {
  /** The catalogue: device EUIs and sensor models map uplinks to bays and gates. */
  readonly city: City;
  /** Directory of the state file, the write-ahead log and (by default) the output files. Created if missing. */
  readonly stateDir: string;
  /** The broker to read from and publish to; omitted: no broker (feed the gateway with `ingestMessage`). */
  readonly broker?: BrokerOptions;
  readonly subscribe?: SubscribeOptions;
  /** Publishing outputs to the broker; false: none. Default: on when there is a broker. */
  readonly publish?: PublishOptions | false;
  /**
   * Occupancy engine options. The gateway's defaults differ in one: `idleAdvanceMs` 60 000, so a quiet feed
   * still closes windows and flags silent sensors on the clock (set 0 to follow event time only).
   */
  readonly engine?: OccupancyOptions;
  /**
   * A pricing policy: tariff decisions on `decisions$`, the decisions file and the broker. The pricing engine's
   * state is checkpointed with the occupancy engine's (one state file, one generation).
   */
  readonly policy?: Policy;
  /** Payload decoders by sensor model. Default: defaultDecoders(). */
  readonly decoders?: DecoderRegistry;
  /** JSON Lines of closed windows (one line per zone and class). Default "<stateDir>/windows.jsonl"; false: none. */
  readonly windowsFile?: string | false;
  /** JSON Lines of tariff decisions (with a policy). Default "<stateDir>/decisions.jsonl"; false: none. */
  readonly decisionsFile?: string | false;
  /** Refused messages, raw, as JSON Lines. Default "<stateDir>/dead-letter.jsonl"; false: none. */
  readonly deadLetterFile?: string | false;
  /** Dead-letter file size at which it is moved to "<file>.1" (one old file kept). Default 16 MiB. */
  readonly deadLetterBytesMax?: number;
  /** Checkpoint interval, ms. Default 60 000. Cost: one engine checkpoint (a few hundred KB for Palu) and 2 fsyncs. */
  readonly checkpointIntervalMs?: number;
  /**
   * When a message is acknowledged to the broker: "fsync" (default) once its log lines are fsynced (survives a
   * power cut), "write" once they are written (survives a crash or kill -9 of the process, not a power cut).
   */
  readonly durability?: "fsync" | "write";
  /** Most events waiting for the engine; beyond it acknowledgements wait (the broker stops sending). Default 65 536. */
  readonly queueMax?: number;
  /** Most events the engine takes per turn of the event loop. Default 2048 (a few ms). */
  readonly sliceEvents?: number;
  /** Larger messages are refused ("too-large") unread. Default 65 536 bytes. */
  readonly messageBytesMax?: number;
  /** Events later than the clock by more than this are refused ("clock-skew"). Default 600 000 (10 min). */
  readonly maxFutureMs?: number;
  /** Events older than the clock by more than this are refused ("clock-skew"). Default 7 days. */
  readonly maxAgeMs?: number;
  /** Event ids remembered by the pre-filter that drops re-delivered messages. Default 16 384. */
  readonly recentIdsMax?: number;
  /** Processing-time tick (engine.tick, snapshots), ms. Default 1000. */
  readonly tickMs?: number;
  /** The Things Stack Storage Integration, to backfill the gap after a restart. */
  readonly storage?: StorageOptions;
  /** Log lines per reason per minute before they are suppressed (and counted). Default 10. */
  readonly logPerMinute?: number;
  /** Where log lines go. Default: stderr. */
  readonly log?: (line: string) => void;
  /** Processing-time clock, ms. Default Date.now. Also given to the engine. */
  readonly clock?: () => number;
}

/** A refused message (or refused part of one). */
export interface Rejection {
  readonly reason: RejectReason;
  readonly topic: string;
  readonly device?: string;
  readonly detail: string;
  /** Processing time, ms. */
  readonly atMs: number;
}

/** Health news: a device's heartbeat, or the engine's sensor health changes (silent, lost, recovered). */
export type HealthUpdate =
  | { readonly kind: "device"; readonly device: DeviceHealth }
  | { readonly kind: "engine"; readonly report: HealthReport };

/** Running totals of the gateway (the engine's are in `engine`). */
export interface GatewayCounters {
  /** Messages taken from the broker, the storage backfill or `ingestMessage`. */
  readonly messages: number;
  /** Events queued for the engine. */
  readonly events: number;
  /** Events dropped by the recent-id pre-filter (re-deliveries). */
  readonly redelivered: number;
  /** Refused messages or events, per reason. */
  readonly rejected: Readonly<Record<RejectReason, number>>;
  /** Events replayed from the write-ahead log at start. */
  readonly replayed: number;
  /** Uplinks fetched from the Storage Integration. */
  readonly backfilled: number;
  /** Events waiting for the engine now. */
  readonly queued: number;
  /** Acknowledgements held now (waiting for the log or for queue space). */
  readonly acksHeld: number;
  readonly checkpoints: number;
  /** Tariff decisions made (with a policy) since start, replayed ones included. */
  readonly decisions: number;
  /** Log lines suppressed by the rate limit. */
  readonly logsSuppressed: number;
  /** The occupancy engine's totals. */
  readonly engine: EngineCounters;
}

/** What /healthz reports. */
export interface GatewayStatus {
  readonly status: "starting" | "running" | "stopped";
  readonly city: string;
  readonly connected: boolean;
  readonly watermarkMs: number | null;
  readonly uptimeS: number;
  /** Seconds since the last committed checkpoint (null before the first): what a crash now would replay. */
  readonly lastCheckpointAgeS: number | null;
  /** Resident memory of the process, bytes. */
  readonly rssBytes: number;
  readonly counters: GatewayCounters;
}
