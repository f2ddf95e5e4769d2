export {
  ARCHIVE_FORMAT,
  ARCHIVE_SUFFIX,
  ArchiveVerificationError,
  type ArchiveBytesVerification,
  type ArchiveDocument,
  type ArchivedMessage,
  type ArchiveExpectations,
  type ArchiveManifest,
  type WriteArchiveOptions,
  type WrittenArchive,
} from './archive-format';
export {
  archiveNameSegment,
  archiveRelativePath,
  decodePathSegment,
  encodePathSegment,
} from './archive-paths';
export { canonicalMessagesJson, mergeMessages } from './archive-messages';
export { buildManifest } from './archive-manifest';
export { verifyArchiveBytes, verifyArchiveDocument } from './archive-verification';
export {
  listArchives,
  readArchive,
  removeArchive,
  removeStrayTempFiles,
  writeArchive,
} from './archive-file';
