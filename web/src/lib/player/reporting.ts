/**
 * The player's reports to `POST /api/v1/playback/events`, so a play in the browser reaches
 * history, statistics and every scrobbling connection.
 *
 * - `PlayReporter` turns what the media element does into events: start, pause, resume,
 *   progress every 15 s while playing, a seek (reported as `progress` at the new position:
 *   the API has no seek event, and a progress only moves the position), and stop.
 * - `Outbox` sends them in order and never loses one: every event is kept in storage until the
 *   server has it, so a stop that fails (network down, the tab closing, an expired token) is
 *   sent again at the next opportunity, even after a reload. Events carry their own
 *   `occurred_at`, and the server derives plays from the set of events whatever order or delay
 *   they arrive in, so a late or repeated event is harmless.
 * - On `pagehide` the outbox goes out with `fetch(…, {keepalive: true})`: unlike sendBeacon it
 *   carries the Authorization header.
 */
import type { KeyValueStorage } from '../storage';
import type { PlayableType } from './types';

export type PlayEvent = 'start' | 'pause' | 'resume' | 'progress' | 'stop';

export interface EventBody {
  media_type: PlayableType;
  media_id: string;
  event: PlayEvent;
  position_ms: number;
  occurred_at: string;
  session_id?: string;
  client: string;
  device: string;
}

export type SendResult =
  | { kind: 'sent'; sessionId: string | null }
  /** Worth trying again later: no network, a 5xx, an expired login. */
  | { kind: 'retry' }
  /** The server refused it for good (e.g. the item is gone): sending again cannot help. */
  | { kind: 'drop' };

export type Send = (body: EventBody, keepalive: boolean) => Promise<SendResult>;

interface Entry {
  id: string;
  /** The reporter's play this event belongs to: its session id comes from the start's answer. */
  play: string;
  body: EventBody;
}

interface Stored {
  entries: Entry[];
  sessions: Record<string, string>;
}

export const OUTBOX_KEY = 'revenge.player.outbox';
export const CLIENT_NAME = 'Revenge Web';
export const PROGRESS_INTERVAL_MS = 15_000;
const MAX_SESSIONS = 20;

let counter = 0;
function uniqueId(): string {
  counter += 1;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${counter}`;
}

export class Outbox {
  private flushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly send: Send,
    private readonly key = OUTBOX_KEY,
  ) {}

  private read(): Stored {
    try {
      const raw = this.storage.getItem(this.key);
      const parsed = raw ? (JSON.parse(raw) as Stored) : null;
      if (parsed && Array.isArray(parsed.entries)) return { entries: parsed.entries, sessions: parsed.sessions ?? {} };
    } catch {
      // A broken entry is dropped rather than blocking every later report.
    }
    return { entries: [], sessions: {} };
  }

  private write(state: Stored): void {
    // The session ids of the latest plays only: a play's later events need its id, old plays don't.
    const sessions = Object.fromEntries(Object.entries(state.sessions).slice(-MAX_SESSIONS));
    if (state.entries.length === 0 && Object.keys(sessions).length === 0) this.storage.removeItem(this.key);
    else this.storage.setItem(this.key, JSON.stringify({ entries: state.entries, sessions }));
  }

  pending(): EventBody[] {
    return this.read().entries.map((e) => e.body);
  }

  sessionOf(play: string): string | null {
    return this.read().sessions[play] ?? null;
  }

  add(play: string, body: EventBody): void {
    const state = this.read();
    state.entries.push({ id: uniqueId(), play, body });
    this.write(state);
  }

  private settle(entry: Entry, result: SendResult): void {
    const state = this.read();
    if (result.kind === 'sent' && result.sessionId) {
      delete state.sessions[entry.play];
      state.sessions[entry.play] = result.sessionId;
    }
    if (result.kind !== 'retry') state.entries = state.entries.filter((e) => e.id !== entry.id);
    this.write(state);
  }

  private withSession(entry: Entry): EventBody {
    const session = this.read().sessions[entry.play];
    return session ? { ...entry.body, session_id: session } : entry.body;
  }

  /** Sends what waits, oldest first; stops at the first that must be retried later. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        for (;;) {
          const entry = this.read().entries[0];
          if (!entry) break;
          let result: SendResult;
          try {
            result = await this.send(this.withSession(entry), false);
          } catch {
            result = { kind: 'retry' };
          }
          this.settle(entry, result);
          if (result.kind === 'retry') return;
        }
      } while (this.again);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * The page is going away: everything waiting goes out at once with keepalive. Each stays
   * stored until its answer arrives, which may be never; then the next page load sends it again.
   */
  flushOnExit(): void {
    for (const entry of this.read().entries) {
      void this.send(this.withSession(entry), true)
        .then((result) => this.settle(entry, result))
        .catch(() => undefined);
    }
  }
}

export interface Timers {
  now(): Date;
  every(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  now: () => new Date(),
  every: (ms, fn) => {
    const handle = setInterval(fn, ms);
    return () => clearInterval(handle);
  },
};

export interface ReporterOptions {
  mediaType: PlayableType;
  mediaId: string;
  outbox: Outbox;
  /** The element's current position, read for the periodic progress. */
  position: () => number;
  device: string;
  timers?: Timers;
  intervalMs?: number;
}

type State = 'idle' | 'playing' | 'paused' | 'stopped';

/** One play of one item: feed it the media element's events. */
export class PlayReporter {
  private state: State = 'idle';
  private stopTimer: (() => void) | null = null;
  private readonly play = uniqueId();
  private readonly timers: Timers;

  constructor(private readonly options: ReporterOptions) {
    this.timers = options.timers ?? realTimers;
  }

  get current(): State {
    return this.state;
  }

  /** The element plays (first time: start; after a pause or a stop: resume / a new start). */
  playing(positionMs: number): void {
    if (this.state === 'playing') return;
    this.emit(this.state === 'paused' ? 'resume' : 'start', positionMs);
    this.state = 'playing';
    this.stopTimer?.();
    this.stopTimer = this.timers.every(this.options.intervalMs ?? PROGRESS_INTERVAL_MS, () => {
      if (this.state === 'playing') this.emit('progress', this.options.position());
    });
  }

  paused(positionMs: number): void {
    if (this.state !== 'playing') return;
    this.stopTimer?.();
    this.stopTimer = null;
    this.state = 'paused';
    this.emit('pause', positionMs);
  }

  /** A jump to another position: a progress there (the API has no seek event). */
  seeked(positionMs: number): void {
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.emit('progress', positionMs);
  }

  /** End of the play: the media ended, the player closed, the app navigated or the tab closes. */
  stopped(positionMs: number, { keepalive = false }: { keepalive?: boolean } = {}): void {
    this.stopTimer?.();
    this.stopTimer = null;
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.state = 'stopped';
    this.emit('stop', positionMs, keepalive);
  }

  private emit(event: PlayEvent, positionMs: number, keepalive = false): void {
    const body: EventBody = {
      media_type: this.options.mediaType,
      media_id: this.options.mediaId,
      event,
      position_ms: Math.max(0, Math.round(positionMs)),
      occurred_at: this.timers.now().toISOString(),
      client: CLIENT_NAME,
      device: this.options.device,
    };
    this.options.outbox.add(this.play, body);
    if (keepalive) this.options.outbox.flushOnExit();
    else void this.options.outbox.flush();
  }
}

/** The answer of the events endpoint as a SendResult. */
export function resultOf(status: number, data: unknown): SendResult {
  if (status >= 200 && status < 300) {
    const id = (data as { session_id?: unknown } | null)?.session_id;
    return { kind: 'sent', sessionId: typeof id === 'string' ? id : null };
  }
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500) return { kind: 'retry' };
  return { kind: 'drop' };
}

type PostClient = {
  POST(path: string, init: object): Promise<{ data?: unknown; response: Response }>;
};

/** Sends through the app's API client: bearer token, refresh on 401, keepalive passed on. */
export function apiSend(client: unknown): Send {
  const api = client as PostClient;
  return async (body, keepalive) => {
    try {
      const { data, response } = await api.POST('/api/v1/playback/events', { body, keepalive });
      return resultOf(response.status, data ?? null);
    } catch {
      return { kind: 'retry' };
    }
  };
}

/** "Chrome (Android)", "Firefox (Linux)", "Safari (iPhone)": short, for the device column. */
export function deviceName(userAgent: string): string {
  const ua = userAgent || '';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? /Chromium\//.test(ua) || /HeadlessChrome/.test(ua)
            ? 'Chromium'
            : 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : 'Browser';
  const system = /iPhone/.test(ua)
    ? 'iPhone'
    : /iPad/.test(ua)
      ? 'iPad'
      : /Android/.test(ua)
        ? 'Android'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Mac OS X|Macintosh/.test(ua)
            ? 'macOS'
            : /CrOS/.test(ua)
              ? 'ChromeOS'
              : /Linux/.test(ua)
                ? 'Linux'
                : null;
  return system ? `${browser} (${system})` : browser;
}
