// A natural client scenario written against the types openapi-typescript generates
// from the served document (schema.d.ts, written beside this file by the test).
// It must compile under tsc --strict: register, log in, create an account, add a
// transaction (switching on its problem codes), close an account, read the JSON
// statement, list.
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
  const lines0: string[] = [];
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
  if (tx.error) {
    // Problems are typed per operation: the code is an enum of what this operation
    // answers, and insufficient_funds brings its details.
    if (tx.error.code === "insufficient_funds") {
      const available: string = tx.error.details.available;
      const requested: string = tx.error.details.requested;
      throw new Error(`only ${available} of ${requested} available`);
    }
    fail(tx.error);
  }
  const amount: string = tx.data.amount;
  type TxCode = NonNullable<typeof tx.error>["code"];
  // @ts-expect-error: not a code this operation answers; compiles only while code is an enum
  const notACode: TxCode = "no_such_code";

  const closed = await client.DELETE("/accounts/{id}", { headers, params: { path: { id: account.id } } });
  if (closed.error) {
    if (closed.error.code === "account_not_empty") {
      const left: string = closed.error.details.current_balance;
      lines0.push(`still holds ${left}`);
    } else if (closed.error.code === "unauthenticated" || closed.error.code === "invalid_token") {
      throw new Error("log in again");
    }
  }

  // The JSON statement is its own operation: its data is a Statement, not a string.
  const st = await client.GET("/accounts/{id}/statement", {
    headers,
    params: { path: { id: account.id }, query: { start_date: "2026-01-01", end_date: "2026-01-31" } },
  });
  if (st.error) fail(st.error);
  const closing: string = st.data.closing_balance;
  const firstAfter: string | undefined = st.data.transactions[0]?.balance_after;
  lines0.push(closing, firstAfter ?? "");

  const lines: string[] = [userId, String(expiresIn), balance, amount, ...lines0];
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
