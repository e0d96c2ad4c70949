// SQLSTATE codes the code reacts to, by name.
export const SQLSTATE = {
  uniqueViolation: '23505',
  invalidParameterValue: '22023',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  undefinedTable: '42P01',
  duplicateDatabase: '42P04',
  invalidCatalogName: '3D000',
  cannotConnectNow: '57P03',
  adminShutdown: '57P01',
  tooManyConnections: '53300',
} as const;

export function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
