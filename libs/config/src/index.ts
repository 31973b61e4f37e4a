export { ConfigNamespace, DEFAULT_CONFIG_ROOT } from './namespace';
export { ConfigError, ConfigConflictError, ConfigTooLargeError, ConfigValidationError, isConfigError } from './errors';
export type { ConfigErrorCode, ConfigIssue } from './errors';
export {
  assertConfigDocument,
  canonicalJson,
  documentChecksum,
  flattenDocument,
  unflattenDocument,
  encodeSegment,
  decodeSegment,
} from './document';
export type { ConfigDocument, JsonValue } from './document';
export { diffDocuments, isEmptyDiff } from './diff';
export type { ConfigDiff } from './diff';
export { mergePatch, settingPatch } from './merge-patch';
export { validateDocument } from './validate-document';
export { issueLocator } from './issue-position';
export type { IssueLocator, TextPosition } from './issue-position';
export type { ConfigMeta, ConfigVersion, ConfigVersionInfo } from './records';
export { publish } from './publish';
export type { PublishOptions, PublishResult } from './publish';
export { getConfig } from './get-config';
export type { LiveConfig } from './get-config';
export { listVersions, showVersion, diffVersions, rollback, pruneHistory } from './history';
export type { ListVersionsOptions, ShowVersionOptions, DiffVersionsOptions, RollbackOptions, PruneHistoryOptions } from './history';
export { setStoredSchema, getStoredSchema, deleteStoredSchema, compileJsonSchema, storeZodSchema } from './schema-store';
export type { NamespaceOptions, SetStoredSchemaOptions, StoreZodSchemaOptions, JsonSchema } from './schema-store';
export { reportApplied, listApplied } from './applied-report';
export type { AppliedReport, AppliedEntry, AppliedReporter, ReportAppliedOptions } from './applied-report';
export { watchConfig } from './watch-config';
export type { WatchConfigOptions, HotConfig, HotConfigStatus, ConfigChange, ConfigChangeSource } from './watch-config';
export { setupConfigAccess } from './access';
export { parseAccessFile, readPasswordFile, rangeOfEntry, describeRange, AccessFileError } from './access-file';
export type { AccessSpec, AccessRoleSpec, AccessUserSpec, AccessPermission, AccessPermissionType, AccessFileIssue } from './access-file';
export { readAccessState, isAuthEnabled, planAccess, applyAccessPlan, describeChange, formatAccessPlan, AccessPlan } from './access-plan';
export type { AccessChange, AccessState, PlanAccessOptions, ApplyAccessPlanOptions } from './access-plan';
export type { SetupConfigAccessOptions, AppAccess, AppAccessResult } from './access';
export { createTestHotConfig } from './testing/static-hot-config';
export type { TestHotConfig } from './testing/static-hot-config';
