// A Lit controller that re-renders its host when an answer its LedgerSession was computing in
// the worker arrives (the session fires "answer"); the host's render then finds it in the cache.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LedgerSession } from './credits';

export class SessionWatch implements ReactiveController {
  private watched: LedgerSession | null = null;
  private readonly onAnswer = (): void => this.host.requestUpdate();

  constructor(private readonly host: ReactiveControllerHost, private readonly sessionOf: () => LedgerSession | null) {
    host.addController(this);
  }

  hostUpdate(): void {
    const session = this.sessionOf();
    if (session === this.watched) return;
    this.watched?.removeEventListener('answer', this.onAnswer);
    session?.addEventListener('answer', this.onAnswer);
    this.watched = session;
  }

  hostDisconnected(): void {
    this.watched?.removeEventListener('answer', this.onAnswer);
    this.watched = null;
  }
}
