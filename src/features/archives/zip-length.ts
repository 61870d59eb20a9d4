/**
 * The exact byte length of a store-mode archive as yazl writes it, known before any byte (a Content-Length,
 * and a size cap that can refuse early). yazl's own estimate (`end(cb)`) counts the zip64 end records as soon
 * as the central directory reaches 64 KiB (about 700 entries) while it only writes them past 4 GiB, so it is
 * 76 bytes too long for most real archives: this mirrors what it writes, pinned by tests against its output.
 */

/** One entry as the layout sees it: the UTF-8 length of its name and the length of its data. */
export interface ZipLayoutEntry {
  readonly nameBytes: number;
  readonly size: number;
}

// Record sizes of the zip format (APPNOTE 4.3) as yazl fills them: no extra field in local headers, a data
// descriptor with signature after each entry, the Info-ZIP "UT" timestamp in each central record.
const LOCAL_HEADER = 30;
const DATA_DESCRIPTOR = 16;
const ZIP64_DATA_DESCRIPTOR = 24;
const CENTRAL_HEADER = 46;
const UNIVERSAL_TIME_EXTRA = 9;
const ZIP64_EXTRA = 28;
const ZIP64_END_RECORD_AND_LOCATOR = 56 + 20;
const END_RECORD = 22;
/** yazl switches an entry to zip64 past this size or local-header offset. */
const ENTRY_ZIP64_AFTER = 0xfffffffe;
/** Past these the end of central directory needs its zip64 record. */
const MAX_ENTRIES_32 = 0xfffe;
const MAX_OFFSET_32 = 0xfffffffe;

/** Bytes of the archive of `entries`, in order; `forceZip64` writes zip64 records even where not needed. */
export function zipLayoutLength(entries: readonly ZipLayoutEntry[], forceZip64 = false): number {
  let offset = 0;
  let central = 0;
  for (const { nameBytes, size } of entries) {
    const zip64 = forceZip64 || size > ENTRY_ZIP64_AFTER || offset > ENTRY_ZIP64_AFTER;
    offset += LOCAL_HEADER + nameBytes + size + (zip64 ? ZIP64_DATA_DESCRIPTOR : DATA_DESCRIPTOR);
    central += CENTRAL_HEADER + nameBytes + UNIVERSAL_TIME_EXTRA + (zip64 ? ZIP64_EXTRA : 0);
  }
  const zip64End =
    forceZip64 ||
    entries.length > MAX_ENTRIES_32 ||
    central > MAX_OFFSET_32 ||
    offset > MAX_OFFSET_32;
  return offset + central + (zip64End ? ZIP64_END_RECORD_AND_LOCATOR : 0) + END_RECORD;
}
