/** The live gateway: MQTT uplinks in (The Things Stack, ChirpStack, CDS JSON), outputs to MQTT and files. */

export { redactUrl } from "./broker.js";
export {
  boschTps110,
  type DecodedEventType,
  type DecodedPayload,
  DecoderRegistry,
  decodeObject,
  defaultDecoders,
  nwaveNps405,
  type PayloadDecoder,
  type SensorHealth,
} from "./decoders.js";
export { ParkirMessageError, ParkirStateError, REJECT_REASONS, type RejectReason } from "./errors.js";
export { CommittedFile, writeFileDurable } from "./files.js";
export {
  encodeSensorPayload,
  type FleetMessage,
  type FleetOptions,
  fleetMessages,
  type PublishFleetOptions,
  publishFleet,
  type UplinkFormat,
} from "./fleet.js";
export { createGateway, Gateway } from "./gateway.js";
export { type HttpHandler, type HttpServerOptions, startHttpServer } from "./http.js";
export type {
  BrokerOptions,
  GatewayCounters,
  GatewayOptions,
  GatewayStatus,
  HealthUpdate,
  PublishOptions,
  Rejection,
  SubscribeOptions,
} from "./options.js";
export { backfillStorage, type StorageOptions, type StoredUplink } from "./storage.js";
export {
  scanUplink,
  UPLINK_RADIO_GATEWAYS_MAX,
  UPLINK_SCAN_DEPTH_MAX,
  type UplinkFields,
} from "./uplink-scan.js";
export {
  CDS_EVENTS_PER_MESSAGE_MAX,
  type DeviceHealth,
  type MessageSource,
  type ParseContext,
  type ParsedMessage,
  parseMessage,
  parseMessageJson,
  topicMatches,
  topicSource,
} from "./uplinks.js";
