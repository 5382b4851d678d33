// A natural client scenario written against the types openapi-typescript generates
// from the served document (schema.d.ts, written beside this file by the test).
// It must compile under tsc --strict: register, log in, create an account, add a
// transaction, list.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Account = components["schemas"]["Account"];
type Problem = components["schemas"]["Problem"];

const client = createClient<paths>({ baseUrl: "http://localhost:8080/api/v1" });

function fail(p: Problem): never {
  const code: string = p.code;
  const trace: string = p.trace_id;
  throw new Error(`${p.status} ${code} ${p.detail} (${trace})`);
}

export async function scenario(): Promise<string[]> {
  const email = "ada@example.com";
  const password = "correct horse battery staple";
  const reg = await client.POST("/auth/register", { body: { email, password, name: "Ada" } });
  if (reg.error) fail(reg.error);
  const userId: string = reg.data.id;

  const login = await client.POST("/auth/login", { body: { email, password } });
  if (login.error) fail(login.error);
  const token: string = login.data.access_token;
  const expiresIn: number = login.data.expires_in;
  const headers = { Authorization: `Bearer ${token}` };

  const created = await client.POST("/accounts", {
    headers,
    params: { header: { "Idempotency-Key": "create-checking-1" } },
    body: { name: "Checking", account_type: "checking", currency: "USD", opening_balance: "1250.50" },
  });
  if (created.error) fail(created.error);
  const account: Account = created.data;
  const balance: string = account.balance_amount;

  const tx = await client.POST("/accounts/{id}/transactions", {
    headers,
    params: { path: { id: account.id } },
    body: { type: "withdrawal", amount: "12345678.91", description: "Rent" },
  });
  if (tx.error) fail(tx.error);
  const amount: string = tx.data.amount;

  const lines: string[] = [userId, String(expiresIn), balance, amount];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.GET("/accounts/{id}/transactions", {
      headers,
      params: { path: { id: account.id }, query: { limit: 50, cursor } },
    });
    if (page.error) fail(page.error);
    for (const t of page.data.transactions) {
      lines.push(`${t.booked_at} ${t.type} ${t.amount} ${t.currency}`);
    }
    if (!page.data.has_more || !page.data.next_cursor) break;
    cursor = page.data.next_cursor;
  }

  const all = await client.GET("/accounts", { headers, params: { query: { sort: "-balance" } } });
  if (all.error) fail(all.error);
  for (const a of all.data.accounts) lines.push(`${a.name}: ${a.balance_amount}`);
  const totals: Record<string, string> = all.data.total_balance_by_currency;
  lines.push(JSON.stringify(totals));
  return lines;
}
