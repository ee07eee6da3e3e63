// Types of `siyu/authority` (docs/backend.md). Every wire shape is derived from the engine's Rust
// types (tsify) and declared in the engine's typings; this file only names the calls.
import type {
  AnswerPullInput, DecidePushInput, DecidedPush, ArchivePage, HistoryRange, HistoryRow, Needs,
  MutationResult, Program, PullPlan, PullRequest, PullResponse, PushRequest, Refusal, Stock, PlanPullInput, WasmModule, PlatformClass,
} from './siyu.js';

export type {
  AnswerPullInput, DecidePushInput, DecidedPush, ArchivePage, ArchiveQuery, HistoryRange, HistoryRow, Needs, PullPlan,
  Refusal, Writes, Guard, DecisionRow, ArchiveRow, Event, ReferralTask, StoredDecision, StoredChange, StoredResult,
  Lookups, PushOptions, Conflict,
} from './siyu.js';

/** An answer that may refuse the HTTP request (write nothing; reply `status` with the error). */
export type Answer<T> = { ok: T; refused?: undefined; needs?: undefined } | { refused: Refusal; ok?: undefined; needs?: undefined };

/** `decidePush` may also ask for lookups: read them and call again with `lookups`. */
export type PushAnswer = Answer<DecidedPush> | { needs: Needs; ok?: undefined; refused?: undefined };

export interface LoadOptions {
  /** The authority's module: bytes, a compiled module, or its URL (default: beside this file). */
  wasm?: ArrayBuffer | ArrayBufferView | WasmModule | PlatformClass<"URL"> | string;
}

/** The authority for `program` (its JSON text or object), validated once. */
export function loadAuthority(program: string | Program, options?: LoadOptions): Promise<Authority>;

export class Authority {
  /** One call by name: the raw answer. Throws a `SiyuError` for a malformed call. */
  call(op: string, input: unknown): { ok?: unknown; refused?: Refusal; needs?: Needs };
  /** The program in force, as `GET /api/program` serves it. */
  program(): Program;
  /** The program's shared counters, full. */
  initialStock(): Stock;
  /** A new member's state (the JSON text to store) and referral code. */
  newMember(memberId: string, now: number): Answer<{ state: string; referralCode: string }>;
  /** A push body as received (text). */
  checkPush(body: string): Answer<PushRequest>;
  decidePush(input: DecidePushInput): PushAnswer;
  /** A pull body as received (text). */
  checkPull(body: string): Answer<PullRequest>;
  planPull(input: PlanPullInput): Answer<PullPlan>;
  answerPull(input: AnswerPullInput): { ok: PullResponse<MutationResult> };
  /** `query`: the query string as received (`before=…&limit=…`, without `?`). */
  historyRange(kind: string, query?: string): Answer<HistoryRange>;
  historyPage(range: HistoryRange, rows: HistoryRow[]): { ok: ArchivePage };
  /** The business day (`YYYY-MM-DD`) at `now` in the program's time zone. */
  businessDay(now: number): string;
}
