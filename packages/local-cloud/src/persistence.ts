/**
 * `--data-dir` support: every service's snapshot is written to one JSON file, atomically
 * (write to a temporary file, then rename), periodically and on stop, and read back on start.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalService } from './protocol.js';

const STATE_FILE = 'state.json';
const FORMAT_VERSION = 1;
const QUIET_TICKS_PER_SAVE = 10;

export class StatePersistence {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private changed = false;
  private quietTicks = 0;

  constructor(
    private readonly dataDir: string,
    private readonly services: Record<string, LocalService>,
    private readonly intervalMs = 500,
  ) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dataDir, STATE_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const state = JSON.parse(text) as { version: number; services: Record<string, unknown> };
    if (state.version !== FORMAT_VERSION) {
      throw new Error(
        `${join(this.dataDir, STATE_FILE)} has format ${state.version}, expected ${FORMAT_VERSION}`,
      );
    }
    for (const [key, service] of Object.entries(this.services)) {
      const saved = state.services[key];
      if (saved !== undefined) service.restore?.(saved);
    }
  }

  /** Something may have changed (a request arrived); the next tick writes. */
  markChanged(): void {
    this.changed = true;
  }

  /**
   * Writes on every tick after a request, and otherwise every `QUIET_TICKS_PER_SAVE` ticks, for
   * state that timers change without a request (alarm states, move tasks): an idle cloud with a
   * large backlog does not rewrite its whole state twice a second.
   */
  start(): void {
    this.timer = setInterval(() => {
      this.quietTicks++;
      if (this.changed || this.quietTicks >= QUIET_TICKS_PER_SAVE) void this.save();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Serialised so two saves never interleave their renames. */
  save(): Promise<void> {
    this.saving = this.saving.then(() => this.write());
    return this.saving;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }

  private async write(): Promise<void> {
    this.changed = false;
    this.quietTicks = 0;
    const services: Record<string, unknown> = {};
    for (const [key, service] of Object.entries(this.services)) {
      if (service.snapshot) services[key] = service.snapshot();
    }
    await mkdir(this.dataDir, { recursive: true });
    const target = join(this.dataDir, STATE_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: FORMAT_VERSION, services }));
    await rename(temporary, target);
  }
}
