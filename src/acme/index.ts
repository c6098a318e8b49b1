// The ACME manager: issues and renews certificates, serves them as live CertStores.
export { createAcmeManager } from './manager.ts'
export { fileStateStore, memoryStateStore } from './state-store.ts'
export type { AcmeManager, AcmeManagerInit, AcmeStateStore, CertificateSpec, CertificateStatus, Dns01Solver, Http01Solver } from './types.ts'
