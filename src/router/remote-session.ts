// A session held by another node, as hooks see it. A private message may go
// from a session here to one on another node (with a remote adapter); the
// vetting and after-delivery hooks run on the sender's node and get the
// receiver as a RemoteSession: its public face and its node, not its
// server-side data or groups, which stay on the node that holds it.

import type { RemoteClient } from './adapter.js';
import type { PublicClient } from './wire.js';

export class RemoteSession {
  readonly id: string;
  /** The id of the node that holds the session. */
  readonly node: string;
  readonly alias: string | null;
  readonly available: boolean;
  readonly publicData: unknown;

  /** @internal Created by the router from its adapter's view of the session. */
  constructor(client: RemoteClient) {
    this.id = client.id;
    this.node = client.node;
    this.alias = client.alias;
    this.available = client.available;
    this.publicData = client.publicData;
  }

  /** Always true: a remote session is known only while connected. */
  get connected(): boolean {
    return true;
  }
  /** Visible to other clients: available and with a public alias. */
  get visible(): boolean {
    return this.available && this.alias !== null;
  }
  /** The public view, as sent in presence events and client lists. */
  toPublic(): PublicClient {
    return { id: this.id, alias: this.alias, available: this.available, publicData: this.publicData, connected: true };
  }
  toJSON(): PublicClient {
    return this.toPublic();
  }
}
