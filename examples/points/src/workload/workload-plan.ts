/**
 * The points workload as data, before anything runs: accounts with starting balances, a burst of
 * orders, which of them are re-sent as duplicates, and the poison messages. Everything follows from
 * the seed, so a run can be repeated. Also the reference model: deducting each account's orders in
 * order gives the exact set of orders the points service must reject and every final balance.
 */
import { SeededRandom } from '@oncely/local-cloud';

export interface PlannedAccount {
  readonly accountId: string;
  readonly initialBalance: number;
}

export interface PlannedOrder {
  readonly orderId: string;
  readonly accountId: string;
  readonly amount: number;
}

/** A message the consumer must send to the DLQ with `reason`. */
export interface PlannedPoison {
  readonly kind: 'body-not-json' | 'envelope-invalid' | 'unknown-type' | 'payload-invalid';
  /** The consumer's poison reason this message must carry in the DLQ. */
  readonly reason: string;
}

export interface WorkloadPlan {
  readonly accounts: readonly PlannedAccount[];
  /**
   * Orders in publishing order. Each wave holds at most one order per account and waves are
   * published one after another, so every account's orders reach its FIFO group in this order.
   */
  readonly waves: readonly (readonly PlannedOrder[])[];
  /** Indexes (into the flattened orders) whose envelopes are sent a second time. */
  readonly duplicateIndexes: readonly number[];
  readonly poisons: readonly PlannedPoison[];
  /**
   * The account whose database writes fail for a while (a transient outage): its first messages
   * exhaust their receives and land in the DLQ, to be redriven. Its balance covers every order, so
   * the redrive changing its order cannot change any outcome.
   */
  readonly outageAccountId: string;
}

export interface PlanOptions {
  readonly events: number;
  readonly seed: number;
  /** @default about one account per 100 orders, between 10 and 200 */
  readonly accounts?: number;
  /** Share of orders re-sent as duplicates. @default 0.02 */
  readonly duplicateRate?: number;
}

const POISON_KINDS: readonly PlannedPoison[] = [
  { kind: 'body-not-json', reason: 'body-not-json' },
  { kind: 'envelope-invalid', reason: 'envelope-invalid' },
  { kind: 'unknown-type', reason: 'unknown-type' },
  { kind: 'payload-invalid', reason: 'payload-invalid' },
];

/** Builds the workload for `events` orders from `seed`. */
export function planWorkload(options: PlanOptions): WorkloadPlan {
  const random = new SeededRandom(options.seed);
  const accountCount = options.accounts ?? Math.min(200, Math.max(10, Math.round(options.events / 100)));
  const ordinary = Math.max(1, accountCount - 1);
  const outageAccountId = 'account-outage';
  const perAccount = options.events / accountCount;
  const accounts: PlannedAccount[] = [];
  for (let index = 0; index < ordinary; index++) {
    // Orders average 50 points; balances cover 60-110 % of the expected spend, so some accounts
    // run dry near the end of the burst and their last orders are rejected.
    const expectedSpend = perAccount * 50;
    const initialBalance = Math.round(expectedSpend * (0.6 + random.next() * 0.5));
    accounts.push({ accountId: `account-${String(index + 1).padStart(4, '0')}`, initialBalance });
  }
  accounts.push({ accountId: outageAccountId, initialBalance: Math.ceil(perAccount * 200) + 10_000 });

  const orders: PlannedOrder[] = [];
  for (let index = 0; index < options.events; index++) {
    const account = accounts[Math.floor(random.next() * accounts.length)]!;
    orders.push({
      orderId: `order-${String(index + 1).padStart(6, '0')}`,
      accountId: account.accountId,
      amount: 1 + Math.floor(random.next() * 99),
    });
  }
  const waves = toWaves(orders);

  const duplicateRate = options.duplicateRate ?? 0.02;
  const duplicateIndexes: number[] = [];
  for (let index = 0; index < options.events; index++)
    if (random.next() < duplicateRate) duplicateIndexes.push(index);
  return { accounts, waves, duplicateIndexes, poisons: POISON_KINDS, outageAccountId };
}

/** Splits orders into waves of distinct accounts, keeping each account's orders in order. */
function toWaves(orders: readonly PlannedOrder[]): PlannedOrder[][] {
  const waves: PlannedOrder[][] = [];
  const nextWaveOf = new Map<string, number>();
  for (const order of orders) {
    const wave = nextWaveOf.get(order.accountId) ?? 0;
    nextWaveOf.set(order.accountId, wave + 1);
    const members = waves[wave] ?? [];
    members.push(order);
    waves[wave] = members;
  }
  return waves;
}

/** Every order of the plan in publishing order. */
export function plannedOrders(plan: WorkloadPlan): PlannedOrder[] {
  return plan.waves.flat();
}

export interface ExpectedOutcome {
  /** Order ids the points service must reject (insufficient balance at their turn). */
  readonly rejected: ReadonlySet<string>;
  readonly finalBalances: ReadonlyMap<string, number>;
}

/**
 * The reference model: each account's orders deducted in publishing order, an order that exceeds
 * the balance left rejected, as the consumer's `balance >= :amount` condition does.
 */
export function expectedOutcome(plan: WorkloadPlan): ExpectedOutcome {
  const balances = new Map(plan.accounts.map((account) => [account.accountId, account.initialBalance]));
  const rejected = new Set<string>();
  for (const order of plannedOrders(plan)) {
    const balance = balances.get(order.accountId) ?? 0;
    if (balance >= order.amount) balances.set(order.accountId, balance - order.amount);
    else rejected.add(order.orderId);
  }
  return { rejected, finalBalances: balances };
}

export interface ReplayedOutcome extends ExpectedOutcome {
  /**
   * Orders decided after an order of their own account that was published later: overtaken in
   * their FIFO group, which only a dead-letter-and-redrive can do.
   */
  readonly late: ReadonlySet<string>;
}

/**
 * The reference model replayed in the order the pipeline decided each account's orders: by the
 * time their claims completed (`decidedAt`; ties and undecided orders in publishing order). An
 * account's FIFO group decides its orders one at a time, so without dead letters this order is the
 * publishing order and the result equals {@link expectedOutcome}. A message that used up its
 * receives (an injected fault, or a consumer starved of CPU past its function timeout) goes to the
 * DLQ while its group moves on, and is decided after the redrive, behind later orders: the model
 * then deducts it where it was decided, and reports it in `late` so the caller can require that
 * every late order was in fact dead-lettered and redriven.
 */
export function replayedOutcome(plan: WorkloadPlan, decidedAt: ReadonlyMap<string, number>): ReplayedOutcome {
  const orders = plannedOrders(plan).map((order, index) => ({ order, index }));
  const key = (entry: { order: PlannedOrder }) =>
    decidedAt.get(entry.order.orderId) ?? Number.POSITIVE_INFINITY;
  orders.sort((left, right) => key(left) - key(right) || left.index - right.index);
  const balances = new Map(plan.accounts.map((account) => [account.accountId, account.initialBalance]));
  const latestPublished = new Map<string, number>();
  const rejected = new Set<string>();
  const late = new Set<string>();
  for (const { order, index } of orders) {
    if (decidedAt.has(order.orderId)) {
      if (index < (latestPublished.get(order.accountId) ?? -1)) late.add(order.orderId);
      latestPublished.set(order.accountId, Math.max(index, latestPublished.get(order.accountId) ?? -1));
    }
    const balance = balances.get(order.accountId) ?? 0;
    if (balance >= order.amount) balances.set(order.accountId, balance - order.amount);
    else rejected.add(order.orderId);
  }
  return { rejected, finalBalances: balances, late };
}
