/**
 * The gateway's MQTT connection: a persistent session (fixed client id, clean: false, QoS 1 subscriptions),
 * an "online"/"offline" status with a last will, and QoS 1 acknowledgements (PUBACKs) held until the gateway
 * says the messages' log lines are durable (AckGate).
 */
import type { IClientOptions, MqttClient } from "mqtt";
import type { BrokerOptions } from "./options.js";

/** Messages taken from the socket in one turn of the event loop before the next waits for another turn. */
const YIELD_EVERY = 128;

/** A PUBACK not sent yet, and the connection it belongs to (acks for an older connection are void). */
interface HeldAck {
  readonly packet: unknown;
  readonly epoch: number;
}

/**
 * PUBACKs held back from the broker: first until the log lines of their messages are durable (`held`), then,
 * once durable, only while the engine's queue is over its bound (`durable`, flow control). A reconnect voids
 * both: the broker sends those messages again. Bounded by the broker's in-flight window.
 */
export class AckGate {
  private held: HeldAck[] = [];
  private durable: HeldAck[] = [];
  private epoch = 0;
  /** The connection a PUBACK being sent right now belongs to; -1 while stopping (the PUBACK is dropped). */
  private acking: number | undefined;
  private send: ((packet: unknown) => void) | undefined;
  private client: MqttClient | undefined;

  /** PUBACKs held now (waiting for the log or for queue space). */
  get count(): number {
    return this.held.length + this.durable.length;
  }

  /** Whether PUBACKs still wait for their log lines to become durable. */
  get waiting(): boolean {
    return this.held.length > 0;
  }

  /** Takes every PUBACK waiting for the log: a sync about to start covers them. */
  takeHeld(): HeldAck[] {
    return this.held.splice(0);
  }

  /** Puts PUBACKs back in front of the waiting ones (their sync failed; the next one covers them). */
  putBack(acks: readonly HeldAck[]): void {
    this.held.unshift(...acks);
  }

  /** Marks PUBACKs durable (default: every waiting one, after a sync that covered every written line). */
  markDurable(acks: readonly HeldAck[] = this.takeHeld()): void {
    this.durable.push(...acks);
  }

  /** Whether durable PUBACKs wait to be sent. */
  get pending(): boolean {
    return this.durable.length > 0;
  }

  /** Sends the durable PUBACKs of the current connection (when connected), and forgets them either way. */
  release(): void {
    if (this.client?.connected === true && this.send !== undefined)
      for (const a of this.durable) if (a.epoch === this.epoch) this.send(a.packet);
    this.durable.length = 0;
  }

  /**
   * Intercepts `client`'s PUBACKs. mqtt.js sends a QoS 1 PUBACK as soon as handleMessage calls back, and reads
   * the next message only then; holding the PUBACK lets it read on while the log is not yet durable. (mqtt.js
   * 5.16.0, pinned exactly: `_sendPacket` is how every handler sends a packet.)
   */
  attach(client: MqttClient): void {
    const c = client as unknown as {
      _sendPacket: (packet: { cmd: string }, cb?: () => void, ...rest: unknown[]) => void;
    };
    const send = c._sendPacket.bind(client);
    this.client = client;
    this.send = (packet) => send(packet as { cmd: string });
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === "puback") {
        if (this.acking !== -1) this.held.push({ packet, epoch: this.acking ?? this.epoch });
        cb?.();
        return;
      }
      send(packet, cb, ...rest);
    };
    client.on("close", () => {
      this.epoch++;
      this.held.length = 0;
      this.durable.length = 0;
    });
  }

  /** Runs mqtt.js's message callback so the PUBACK it sends is held for `epoch` (−1: dropped). */
  ackAs(epoch: number, callback: () => void): void {
    this.acking = epoch;
    try {
      callback();
    } finally {
      this.acking = undefined;
    }
  }

  /** The current connection's number. */
  get connection(): number {
    return this.epoch;
  }
}

/** What connectBroker needs from the gateway. */
export interface BrokerLinkOptions {
  readonly broker: BrokerOptions;
  /** Client id when the broker options give none. */
  readonly defaultClientId: string;
  /** Topic of the retained "online"/"offline" status (and the last will). */
  readonly statusTopic: string;
  /** Topic filters subscribed at QoS 1. */
  readonly filters: readonly string[];
  readonly acks: AckGate;
  /** Called once connected, before subscribing (a session's queued messages may already be arriving). */
  readonly onConnected: (client: MqttClient) => void;
  /** Takes one message (its PUBACK is held by `acks`). */
  readonly onMessage: (topic: string, payload: Buffer) => void;
  /** True once the gateway stops: messages are then left unacknowledged (the broker keeps them). */
  readonly stopping: () => boolean;
  /** True once the gateway runs (a reconnect without a session is then worth a log line). */
  readonly running: () => boolean;
  readonly log: (line: string) => void;
  /** Log lines that may repeat (errors, reconnects), rate-limited by the caller. */
  readonly logRepeated: (line: string) => void;
}

/**
 * Connects with a persistent session, subscribes, and resolves with the client once subscribed. Everything is
 * in place before the first packet: a session's queued messages may arrive with the CONNACK.
 */
export async function connectBroker(o: BrokerLinkOptions): Promise<MqttClient> {
  const b = o.broker;
  const opts: IClientOptions = {
    clientId: b.clientId ?? o.defaultClientId,
    clean: false,
    keepalive: b.keepalive ?? 30,
    protocolVersion: b.protocolVersion ?? 4,
    reconnectPeriod: 2000,
    connectTimeout: 15_000,
    will: { topic: o.statusTopic, payload: Buffer.from('{"status":"offline"}'), qos: 1, retain: true },
    ...(b.username === undefined ? {} : { username: b.username }),
    ...(b.password === undefined ? {} : { password: b.password }),
    ...(b.ca === undefined ? {} : { ca: b.ca }),
    ...(b.cert === undefined ? {} : { cert: b.cert }),
    ...(b.key === undefined ? {} : { key: b.key }),
    ...(b.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: b.rejectUnauthorized }),
    ...(b.protocolVersion === 5
      ? { properties: { receiveMaximum: b.inflightMax ?? 1000, sessionExpiryInterval: 0xffffffff } }
      : {}),
  };
  // mqtt.js loads here, not when parkir is imported (a library user without a broker never pays for it).
  const { connect } = await import("mqtt");
  const client = connect(b.url, { ...opts, manualConnect: true });
  const acks = o.acks;
  acks.attach(client);
  let thisTurn = 0;
  client.handleMessage = (packet, callback) => {
    if (o.stopping()) {
      // Not taken and never acknowledged: the broker delivers it again after the restart. The callback still
      // runs: mqtt.js reads nothing more, not even the PUBACK of the "offline" status that stop() waits for,
      // until it does.
      acks.ackAs(-1, callback);
      return;
    }
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    o.onMessage(packet.topic, payload);
    // The PUBACK this callback sends belongs to the connection the message came on (void after a reconnect).
    const epoch = acks.connection;
    const ack = () => acks.ackAs(epoch, callback);
    // mqtt.js reads the next message when this calls back, and goes through a whole socket read without
    // yielding: every YIELD_EVERY messages the callback waits for the next turn, so timers and I/O get theirs.
    if (++thisTurn < YIELD_EVERY) ack();
    else setImmediate(ack);
    if (thisTurn === 1 || thisTurn === YIELD_EVERY)
      setImmediate(() => {
        thisTurn = 0;
      });
  };
  client.on("connect", (ack) => {
    if (!ack.sessionPresent && o.running())
      o.log("broker has no session for this client: messages sent while it was away are lost");
    client.publish(o.statusTopic, JSON.stringify({ status: "online" }), { qos: 1, retain: true });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      client.end(true);
      reject(e);
    };
    client.once("error", onError);
    client.once("connect", () => {
      client.off("error", onError);
      resolve();
    });
    client.connect();
  });
  o.onConnected(client);
  client.on("error", (e) => o.logRepeated(`broker: ${e.message}`));
  client.on("reconnect", () => o.logRepeated(`broker: reconnecting to ${redactUrl(b.url)}`));
  await client.subscribeAsync([...o.filters], { qos: 1 });
  o.log(`subscribed to ${o.filters.join(", ")} on ${redactUrl(b.url)}`);
  return client;
}

/** The URL without user info (credentials never reach a log). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(broker URL)";
  }
}
