import { Op, literal, type Sequelize } from 'sequelize';
import type { FileModel } from '../../models/sql/file';
import { SHARE_TABLE, type ShareModel, type ShareRow } from '../../models/sql/share';

/** A share link as the rest of the app sees it (a plain object). */
export interface ShareRecord {
  id: string;
  token: string;
  fileId: string;
  expiresAt: Date | null;
  maxDownloads: number | null;
  downloadCount: number;
  passwordHash: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** What a new share needs. */
type NewShare = Pick<
  ShareRecord,
  'id' | 'token' | 'fileId' | 'expiresAt' | 'maxDownloads' | 'passwordHash'
>;

/** Persistence of share links. */
export interface ShareRepository {
  create(share: NewShare): Promise<ShareRecord>;
  findByToken(token: string): Promise<ShareRecord | null>;
  listByFile(fileId: string): Promise<ShareRecord[]>;
  revoke(id: string, at: Date): Promise<void>;
  deleteByFile(fileId: string): Promise<void>;
  /**
   * Counts one download of the share and of its file in one transaction, only while the link is
   * live at `now`; false when it was not (revoked, expired or its last download already taken).
   */
  countDownload(share: ShareRecord, now: Date): Promise<boolean>;
}

function toRecord(row: ShareRow): ShareRecord {
  return {
    id: row.id,
    token: row.token,
    fileId: row.fileId,
    expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
    maxDownloads: row.maxDownloads === null ? null : Number(row.maxDownloads),
    downloadCount: Number(row.downloadCount),
    passwordHash: row.passwordHash,
    revokedAt: row.revokedAt ? new Date(row.revokedAt) : null,
    createdAt: new Date(row.createdAt),
  };
}

// The columns named in SQL text, spelled once in the model (src/models/sql/columns.ts).
const SHARE = SHARE_TABLE.quoted;

/** The SQL implementation (SQLite and MySQL). */
export function createShareRepository(deps: {
  sequelize: Sequelize;
  Share: ShareModel;
  File: FileModel;
}): ShareRepository {
  const { sequelize, Share, File } = deps;
  async function countInTransaction(share: ShareRecord, now: Date): Promise<boolean> {
    // On SQLite the transaction waits for its turn in the process's write queue (src/models/sql/sqlite.ts);
    // MySQL locks the row in the UPDATE.
    return sequelize.transaction(async (transaction) => {
      // The limit is checked by the UPDATE itself, so two downloads racing for the last slot
      // cannot both pass: the database lets exactly one of them change the row.
      const [changed] = await Share.update(
        { downloadCount: literal(`${SHARE.downloadCount} + 1`) },
        {
          where: {
            id: share.id,
            revokedAt: null,
            [Op.and]: [
              {
                [Op.or]: [
                  { maxDownloads: null },
                  { downloadCount: { [Op.lt]: literal(SHARE.maxDownloads) } },
                ],
              },
              { [Op.or]: [{ expiresAt: null }, { expiresAt: { [Op.gt]: now } }] },
            ],
          },
          transaction,
        },
      );
      if (changed !== 1) return false;
      await File.increment('downloadCount', { where: { id: share.fileId }, transaction });
      return true;
    });
  }

  return {
    async create(share) {
      return toRecord(await Share.create(share));
    },
    async findByToken(token) {
      const row = await Share.findOne({ where: { token } });
      return row ? toRecord(row) : null;
    },
    async listByFile(fileId) {
      const rows = await Share.findAll({ where: { fileId }, order: [['createdAt', 'DESC']] });
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      await Share.update({ revokedAt: at }, { where: { id, revokedAt: null } });
    },
    async deleteByFile(fileId) {
      await Share.destroy({ where: { fileId } });
    },
    async countDownload(share, now) {
      return countInTransaction(share, now);
    },
  };
}
