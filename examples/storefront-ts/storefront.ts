// The storefront calls a TypeScript shop makes, typed by what
// openapi-typescript generates from syncd's OpenAPI document
// (generated/syncd.ts, made by examples/run.sh from the document a running
// syncd serves). tsc --noEmit compiles it: a change to the document that
// breaks these calls (a renamed operation, a field gone, a price that is no
// longer a number) fails CI before it breaks a shop.
import type { components, operations } from "./generated/syncd";

type Schemas = components["schemas"];
export type Order = Schemas["Order"];
export type OrderRequest = Schemas["OrderRequest"];
export type GameView = operations["getGame"]["responses"][200]["content"]["application/json"]["game"];
type ErrorEnvelope = Schemas["Error"];

export class SyncdError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorEnvelope["error"]["details"],
  ) {
    super(`HTTP ${status} ${code}: ${message}`);
  }
}

export class Shop {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly tier = "public",
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<{ status: number; etag: string; body: T | null }> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.token}`);
    const resp = await fetch(this.base + path, { ...init, headers });
    if (resp.status >= 400) {
      const env = (await resp.json()) as ErrorEnvelope;
      throw new SyncdError(resp.status, env.error.code, env.error.message, env.error.details);
    }
    const body = resp.status === 304 || resp.status === 204 ? null : ((await resp.json()) as T);
    return { status: resp.status, etag: resp.headers.get("ETag") ?? "", body };
  }

  // The game page, cached by ETag: null when the cached copy is current.
  async game(id: string, etag = ""): Promise<{ game: GameView; etag: string } | null> {
    type OK = operations["getGame"]["responses"][200]["content"]["application/json"];
    const init: RequestInit = etag ? { headers: { "If-None-Match": etag } } : {};
    const r = await this.call<OK>(`/v1/games/${encodeURIComponent(id)}?tier=${encodeURIComponent(this.tier)}`, init);
    return r.body ? { game: r.body.game, etag: r.etag } : null;
  }

  // Places an order at the price shown; on 409 price_changed re-reads the
  // item and asks again under the same reference once the buyer agrees.
  async order(req: OrderRequest, agree: (price: number) => boolean): Promise<Order> {
    for (;;) {
      try {
        const r = await this.call<operations["createOrder"]["responses"][201]["content"]["application/json"]>("/v1/orders", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(req),
        });
        if (!r.body) throw new Error("order: no body");
        return r.body;
      } catch (e) {
        if (!(e instanceof SyncdError) || e.code !== "price_changed") throw e;
        type Item = operations["getItem"]["responses"][200]["content"]["application/json"]["item"];
        const r = await this.call<{ item: Item }>(`/v1/items/${encodeURIComponent(req.item)}?tier=${encodeURIComponent(this.tier)}`);
        const price = r.body?.item.price;
        if (price === null || price === undefined || !agree(price)) throw e;
        req = { ...req, expected_price: price };
      }
    }
  }

  async orderStatus(id: string): Promise<Order["status"]> {
    const r = await this.call<operations["getOrder"]["responses"][200]["content"]["application/json"]>(
      `/v1/orders/${encodeURIComponent(id)}`,
    );
    if (!r.body) throw new Error("order: no body");
    return r.body.status;
  }
}

// A final status ends the order; attention waits for an operator.
export function isFinal(s: Order["status"]): boolean {
  return s === "success" || s === "failed";
}

// Notifications: syncd POSTs the order (the notifyOrderStatus callback of
// createOrder) to SYNCD_NOTIFY_URL, with these headers.
type NotifyHeaders = {
  "X-Syncd-Delivery": components["parameters"]["NotifyDelivery"];
  "X-Syncd-Event": components["parameters"]["NotifyEvent"];
  "X-Syncd-Signature"?: components["parameters"]["NotifySignature"];
};

// readNotification checks X-Syncd-Signature ("sha256=" and the hex
// HMAC-SHA256 of the raw body under SYNCD_NOTIFY_SECRET) before the body is
// believed. It returns "refuse" for a bad signature (answer 401), "ignore"
// for an event the shop does not follow (answer 2xx, or it is retried), or
// the order.
export async function readNotification(
  secret: string,
  rawBody: string,
  headers: NotifyHeaders,
): Promise<Order | "refuse" | "ignore"> {
  const hex = headers["X-Syncd-Signature"]?.match(/^sha256=([0-9a-f]{64})$/)?.[1];
  if (!hex) return "refuse";
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const mac = new Uint8Array(hex.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, mac, enc.encode(rawBody)))) return "refuse";
  if (headers["X-Syncd-Event"] !== "order.status") return "ignore";
  return JSON.parse(rawBody) as Order;
}
