/**
 * Environment variables of the points example's own resources, set by its stack and read by its
 * handlers (the pipeline's own variables are Oncely's, see `ENVIRONMENT_VARIABLES`).
 */
export const POINTS_ENVIRONMENT = {
  accountsTable: 'ONCELY_ACCOUNTS_TABLE',
  ledgerTable: 'ONCELY_LEDGER_TABLE',
  ordersTable: 'ONCELY_ORDERS_TABLE',
} as const;
