import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PublishLink } from './bus-context.js';
import { Signal } from './signal.js';

/**
 * The confirm channel publishes go out on: one per connection, handed out once the connection is
 * set up (`use`), opened again when the broker closes only it (a publish to a missing exchange) or
 * nacks on it, and waited for, bounded in time, while the link is down.
 */
export class PublishChannel implements PublishLink {
  channel: ConfirmChannel | undefined;
  closing = false;
  blockedBy: string | undefined;
  /** The connection the channel lives on, while it is up. */
  private model?: ChannelModel;
  private readonly opened = new Signal();

  constructor(private readonly logger: Logger) {}

  get waiting(): number {
    return this.opened.waiting;
  }

  /** Opens a confirm channel on `model`; it carries publishes once `use` hands it out. */
  async open(model: ChannelModel): Promise<ConfirmChannel> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn('publish channel error', { error: errorMessage(err) }));
    ch.on('close', () => {
      if (this.channel !== ch) return;
      this.channel = undefined;
      // The broker closed only this channel: the connection lives on and will not reconnect.
      if (!this.closing) this.reopen(model);
    });
    return ch;
  }

  /** Publishing goes on over `ch` (after every (re)connect, once topology and consumers are set up). */
  use(model: ChannelModel, ch: ConfirmChannel): void {
    this.model = model;
    this.channel = ch;
    this.opened.fire();
  }

  /** The connection went away: publishes wait for the next one. */
  lost(): void {
    this.model = undefined;
    this.channel = undefined;
  }

  async waitForChannel(deadline?: number): Promise<ConfirmChannel | undefined> {
    while (!this.channel && !this.closing) {
      if (!(await this.opened.wait(deadline === undefined ? undefined : deadline - Date.now()))) return undefined;
    }
    return this.channel;
  }

  /**
   * Once per channel however many of its publishes were nacked. Publishes still waiting on the old
   * channel fail as a lost link and are sent again on the new one.
   */
  replace(ch: ConfirmChannel): void {
    const model = this.model;
    if (this.channel !== ch || !model || this.closing) return;
    this.channel = undefined;
    this.reopen(model);
    ch.close().catch(() => undefined);
  }

  forget(ch: ConfirmChannel): void {
    if (this.channel === ch) this.channel = undefined;
  }

  /** No more publishing; those waiting for a channel give up now. */
  close(): void {
    this.closing = true;
    this.channel = undefined;
    this.opened.fire();
  }

  private reopen(model: ChannelModel): void {
    this.open(model).then(
      (next) => {
        if (this.model === model && !this.closing && !this.channel) this.use(model, next);
        else next.close().catch(() => undefined);
      },
      (err: unknown) => this.logger.debug('publish channel not reopened; waiting for the connection to recover', { error: errorMessage(err) }),
    );
  }
}
