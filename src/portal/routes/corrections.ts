// Corrections from the portal: a returned Mẫu 02 uploaded for one unit (the import of `ddcn import corrections`),
// or one person's columns (10)–(13) typed into a form (the same check and the same history).
import { hash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { audit } from '../../db/audit.js';
import { applyCorrections } from '../../db/corrections.js';
import { finishImportRun, startImportRun } from '../../db/import-runs.js';
import { unitInScope, unitPeopleInScope, unitPersonInScope, type UnitDetail } from '../../db/portal-queries.js';
import type { ListDbRow } from '../../db/lists.js';
import { findUpload, recordUpload, uploadRejects, webCorrectionFields } from '../../db/portal-uploads.js';
import { uploadsReadable } from '../../db/portal-scope.js';
import { UserError } from '../../errors.js';
import { checkReturnedRow, importCorrections } from '../../pipeline/corrections.js';
import { withoutUnsafe } from '../../pipeline/corrections-check.js';
import { PORTAL_UPLOAD } from '../../reports/ho-tro.js';
import { openReturnedMau02, RETURNED_HEAP_MB, RETURNED_UNPACKED_LIMIT, ReturnedFileError, type ReturnedForm } from '../../reports/read-mau02.js';
import type { PortalContext } from '../context.js';
import { attachment, DOWNLOAD, HttpError, notFound } from '../errors.js';
import { render } from '../render.js';
import { requireUser } from '../session.js';
import { inTempDir } from '../temp.js';
import { mau02People, STATUS_TEXT } from './units.js';
import { mismatchLines } from '../../reports/mismatch-text.js';
import { formatDateTime } from '../../reports/vn-date.js';
import { birthDateText } from '../../reports/mau01.js';
import { sexLabel } from '../../domain/sex.js';

const text = (req: FastifyRequest, name: string) => {
  const v = (req.body as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

/** Checks the sheet before anything is applied: a Mẫu 02, of this unit, within the row limit. */
/** What an upload may unpack to, per row allowed, over 4 MB for the rest (read-mau02.ts, RETURNED_UNPACKED_LIMIT). */
const UPLOAD_UNPACKED_PER_ROW = 2048;
/**
 * The reading thread's heap (MB) and time per row allowed, over a base: 5 000 rows, 175 MB and 20 s, where a Mẫu 02 of
 * 5 000 people reads in 1.0 s with 48 MB at the least (40 000: 263 MB and 4 s; read-mau02.ts, RETURNED_HEAP_MB).
 */
const UPLOAD_HEAP_MB = (rows: number) => Math.min(RETURNED_HEAP_MB, 96 + Math.ceil(rows / 64));
const UPLOAD_READ_MS = (rows: number) => 10_000 + 2 * rows;

async function checkUpload(file: string, unit: string, maxRows: number): Promise<ReturnedForm> {
  let form;
  try {
    // 5 000 rows: 14 MB, checked before the workbook is read.
    form = await openReturnedMau02(file, {
      unpackedBytes: Math.min(RETURNED_UNPACKED_LIMIT, 4 * 1024 * 1024 + maxRows * UPLOAD_UNPACKED_PER_ROW),
      sheetRows: maxRows + 1_000,
      heapMb: UPLOAD_HEAP_MB(maxRows),
      timeoutMs: UPLOAD_READ_MS(maxRows),
    });
  } catch (err) {
    if (err instanceof ReturnedFileError) throw new HttpError(422, `${err.vi} Không có thông tin nào được cập nhật.`);
    if (err instanceof UserError) {
      throw new HttpError(422, 'Tệp không phải Mẫu số 02 do hệ thống lập (không đọc được tiêu đề, dòng "Mã đơn vị:" hoặc dòng đánh số cột). Không có thông tin nào được cập nhật; hãy tải Mẫu số 02 của đơn vị, điền cột (10)–(13), lưu dạng Excel (.xlsx) rồi gửi lại.');
    }
    throw err;
  }
  if (form.unit !== unit) {
    throw new HttpError(422, `Tệp này là Mẫu số 02 của đơn vị ${form.unit}, không phải của đơn vị ${unit}. Không có thông tin nào được cập nhật.`);
  }
  const rows = form.rows.filter((r) => r.maSoBhxh).length;
  if (rows === 0) {
    throw new HttpError(422, 'Không đọc được dòng người tham gia nào trong bảng (cột (2) không có mã số BHXH). Không có thông tin nào được cập nhật; hãy tải Mẫu số 02 của đơn vị, điền cột (10)–(13) và gửi lại.');
  }
  if (rows > maxRows) {
    throw new HttpError(413, `Tệp có ${rows} dòng người tham gia, vượt giới hạn ${maxRows} dòng mỗi lần gửi. Không có thông tin nào được cập nhật; hãy chia tệp và gửi lại.`);
  }
  return form;
}

/** A person's form sent after what it showed as on file had changed. */
const CHANGED_SINCE =
  'Chưa ghi điều chỉnh: thông tin đang lưu của người này đã thay đổi sau khi trang được mở (vừa có điều chỉnh khác được ghi). Xem lại thông tin đang lưu ở trên; nếu vẫn cần sửa, bấm Ghi điều chỉnh để gửi lại.';

/** The form's field of each of columns (10)–(13). */
const FIELD_OF: Record<string, string> = { 10: 'ho_ten', 11: 'ngay_sinh', 12: 'gioi_tinh', 13: 'so_ddcn' };

/**
 * A refusal of the person form, reason by reason (checkReturnedRow joins them with `; `, each about a field beginning
 * `Cột (N)`), with the field each names: the page lists them at the top, each a link to its field, and says each
 * under its field, tied to it (aria-describedby), so that a screen reader says what is wrong where the clerk is.
 */
export function refusalReasons(message: string | null): Array<{ field: string | null; text: string }> {
  if (!message) return [];
  return message.split(/; (?=Cột \()/).map((text) => ({ field: FIELD_OF[/^Cột \((1[0-3])\)/.exec(text)?.[1] ?? ''] ?? null, text }));
}

/** The page of an upload's result, where its POST leads. */
const resultPage = (code: string, id: number) => `/units/${encodeURIComponent(code)}/uploads/${id}`;

export function registerCorrections(app: FastifyInstance, ctx: PortalContext): void {
  /**
   * Accounts with an upload being read and applied: one at a time each, so that one account cannot hold the portal's
   * workbook reading threads (two, read-thread.ts) while everyone else's upload waits behind its files. The same file
   * sent again for the same unit meanwhile (a double click, a page reloaded) waits for that upload and is shown its
   * result; only another file is refused (429).
   */
  const uploading = new Map<string, { unit: string; digest: string; outcome: Promise<{ id: number; result: Awaited<ReturnType<typeof importCorrections>> }> }>();

  app.post('/units/:ma_don_vi/corrections', async (req, reply) => {
    const { user, scope } = requireUser(req);
    const { ma_don_vi: code } = req.params as { ma_don_vi: string };
    const unit = await unitInScope(ctx.deps.db, scope, code);
    if (!unit) throw notFound();
    const now = ctx.deps.now();
    // Every upload that reaches this handler is audited, a refused one too (by its status: never the file's name,
    // which may hold a person's). A body over the size limit, or with a NUL in a field, is refused before it
    // (app.ts), and shows in the request log only.
    const refuse = async (err: HttpError) => {
      await audit(ctx.deps.db, { at: now, login: user.login, action: 'upload', object: `mau02 ${code}`, result: `refused ${err.status}`, ip: req.ip });
      return err;
    };
    const part = (req.body as Record<string, unknown> | null)?.file as MultipartFile | undefined;
    if (!part || typeof part !== 'object' || !('filename' in part) || !part.filename) throw await refuse(new HttpError(400, 'Chưa chọn tệp Mẫu số 02 (.xlsx) để gửi.'));
    if (!/\.xlsx$/i.test(part.filename)) {
      throw await refuse(new HttpError(415, 'Chỉ nhận tệp Excel .xlsx (Mẫu số 02 do hệ thống lập, đã điền cột (10)–(13)). Tệp .xls, .ods hoặc .csv: mở bằng Excel, chọn Lưu thành "Excel Workbook (.xlsx)" rồi gửi tệp .xlsx đó.'));
    }
    // Shown on the result page and printed on the escalation list: without control or direction-changing characters
    // (a U+202E would print the rest of that cell backwards).
    const original = withoutUnsafe(path.basename(part.filename)).slice(0, 200);
    const bytes = await part.toBuffer();
    // A file of nothing (a download cut off, a copy made before it was saved): said as such, not "not an .xlsx".
    if (bytes.length === 0) {
      throw await refuse(new HttpError(422, 'Tệp đã chọn rỗng (0 byte): có thể tệp chưa được lưu xong hoặc tải về bị lỗi. Mở tệp Mẫu số 02 đã điền trong Excel, lưu lại rồi gửi lại. Không có thông tin nào được cập nhật.'));
    }
    const digest = hash('sha256', bytes, 'base64');
    const inFlight = uploading.get(user.login);
    if (inFlight?.unit === code && inFlight.digest === digest) {
      // The same file again while it is applied: its result, once, whatever the clicks (a refusal is shown again).
      const first = await inFlight.outcome.catch(async (err: unknown) => {
        throw err instanceof HttpError ? await refuse(err) : err;
      });
      await audit(ctx.deps.db, { at: now, login: user.login, action: 'upload', object: `mau02 ${code} upload ${first.id}`, result: 'same file as the upload in progress: shown its result', ip: req.ip });
      return reply.redirect(resultPage(code, first.id), 303);
    }
    if (inFlight) {
      throw await refuse(new HttpError(429, 'Tệp gửi trước của tài khoản này đang được xử lý. Chờ kết quả của tệp đó rồi gửi tiếp.'));
    }
    const outcome = inTempDir(async (dir) => {
      const file = path.join(dir, 'mau02.xlsx');
      await writeFile(file, bytes);
      let form: ReturnedForm;
      try {
        form = await checkUpload(file, code, ctx.settings.maxUploadRows);
      } catch (err) {
        throw err instanceof HttpError ? await refuse(err) : err;
      }
      const rejects = path.join(dir, 'rejects.csv');
      // Only the unit's people within the user's scope: a district office's sheet of a unit spread over several
      // districts changes nobody of the other districts (docs/interface.md, scopes).
      // The form as read above, within the portal's limits: not read a second time.
      const result = await importCorrections({ ...ctx.deps, progress: undefined }, file, rejects, (tx, codes) => unitPeopleInScope(tx, scope, code, codes), {
        form,
        // The file as its sender named it, not the temporary copy it was read from (the escalation list names it).
        source: `${PORTAL_UPLOAD}${user.login}/${original}`,
      });
      const rejectsCsv = await readFile(rejects);
      const id = await ctx.deps.db.withTransaction(async (tx) => {
        const id = await recordUpload(tx, { login: user.login, maDonVi: code, at: now, fileName: original, result, rejectsCsv });
        await audit(tx, {
          at: now, login: user.login, action: 'upload', object: `mau02 ${code} upload ${id}`,
          result: `ok: ${result.corrected} corrected, ${result.rejected} rejected`, ip: req.ip,
        });
        return id;
      });
      return { id, result };
    });
    uploading.set(user.login, { unit: code, digest, outcome });
    let done;
    try {
      done = await outcome;
    } finally {
      uploading.delete(user.login);
    }
    // Its result on a page of its own (Post/Redirect/Get): reloading it, or coming Back to it, asks for that page again
    // and never sends the file a second time — which would be read and applied anew, the result then saying that
    // nobody was corrected (all now on file), or putting back values corrected since.
    return reply.redirect(resultPage(code, done.id), 303);
  });

  // The address a refused upload leaves in the address bar (its answer is the unit's page): opened again (Enter there,
  // a link sent to a colleague), it is that unit's page, not "not found".
  app.get('/units/:ma_don_vi/corrections', async (req, reply) => {
    const { scope } = requireUser(req);
    const { ma_don_vi: code } = req.params as { ma_don_vi: string };
    if (!(await unitInScope(ctx.deps.db, scope, code))) throw notFound();
    return reply.redirect(`/units/${encodeURIComponent(code)}`, 303);
  });

  app.get('/units/:ma_don_vi/uploads/:id', async (req, reply) => {
    const { user, scope } = requireUser(req);
    const { ma_don_vi: code, id } = req.params as { ma_don_vi: string; id: string };
    if (!/^\d{1,15}$/.test(id)) throw notFound();
    // Read as its rejects are: by the account that sent the file (and the national one) only.
    const unit = await unitInScope(ctx.deps.db, scope, code);
    const upload = unit ? await findUpload(ctx.deps.db, code, Number(id), uploadsReadable(scope, user.login)) : null;
    if (!unit || !upload) throw notFound();
    // When it was sent (Vietnam time): a result page kept open, or come back to, says which sending it is.
    return render(reply, req, 'upload-result', {
      title: 'Kết quả gửi Mẫu số 02', unit, upload, uploadId: upload.id, fileName: upload.fileName, sentAt: formatDateTime(upload.at),
    });
  });

  app.get('/units/:ma_don_vi/uploads/:id/rejects.csv', DOWNLOAD, async (req, reply) => {
    const { user, scope } = requireUser(req);
    const { ma_don_vi: code, id } = req.params as { ma_don_vi: string; id: string };
    if (!/^\d{1,15}$/.test(id)) throw notFound();
    const unit = await unitInScope(ctx.deps.db, scope, code);
    const rejects = unit ? await uploadRejects(ctx.deps.db, code, Number(id), uploadsReadable(scope, user.login)) : null;
    if (!rejects) throw notFound();
    await audit(ctx.deps.db, { at: ctx.deps.now(), login: user.login, action: 'download', object: `rejects ${code} upload ${id}`, result: 'ok', ip: req.ip });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', attachment(`mau02-${code}-loi-${id}.csv`))
      .header('cache-control', 'no-store')
      .send(rejects);
  });

  /**
   * The person of the form: on the unit's Mẫu 02 and in scope (a person corrected stays on it until the next run).
   * A person of the unit in scope who is no longer on it (matched, or waiting for verification — perhaps since the
   * form was opened) gets `offForm`, a page that says so; anyone else is not found.
   */
  const person = async (req: FastifyRequest) => {
    const { user, scope } = requireUser(req);
    const { ma_don_vi: code, ma_so_bhxh: who } = req.params as { ma_don_vi: string; ma_so_bhxh: string };
    type Found = { unit: UnitDetail; row: ListDbRow } | { unit: UnitDetail; status: string } | null;
    const found = await ctx.deps.db.withTransaction(async (tx): Promise<Found> => {
      const unit = await unitInScope(tx, scope, code);
      const someone = unit ? await unitPersonInScope(tx, scope, code, who) : null;
      if (!unit || !someone) return null;
      // On the unit's Mẫu 02 (read with the list's own columns), or no longer on it: its status says why.
      const [row] = (await mau02People(tx, scope, code, 1, 0, who)).rows;
      return row ? { unit, row } : { unit, status: someone.status };
    });
    if (!found) throw notFound();
    if ('status' in found) return { offForm: { title: 'Không cần điều chỉnh', unit: found.unit, who, status: found.status } };
    return { user, code, who, unit: found.unit, row: found.row };
  };
  /**
   * What the form showed as on file, as its hidden field `dang_luu` carries it back: a form sent after someone else's
   * correction of the person (or an import) changed it would otherwise write over that unseen — where a returned sheet
   * whose columns (3)–(9) no longer match is refused, saying to take the newest list.
   */
  const onFile = (row: ListDbRow) => hash('sha256', JSON.stringify([row.hoTen, row.ngaySinh, row.gioiTinh, row.soGiayTo]), 'base64url').slice(0, 22);
  const savedPage = (unit: UnitDetail, who: string, fields: number) =>
    fields === 0
      ? { title: 'Không có gì thay đổi', unit, who, fields, message: 'Thông tin đã điền giống thông tin đang lưu: không có gì thay đổi.' }
      : { title: 'Đã ghi điều chỉnh', unit, who, fields, message: null };
  const formPage = (found: { who: string; unit: UnitDetail; row: ListDbRow }, values: Record<string, string>, message: string | null) => ({
    // A refusal says so first, in the title a browser's tab and a screen reader give (as a refused upload's page does).
    title: message ? `Chưa ghi điều chỉnh — ${found.who}` : `Điều chỉnh thông tin ${found.who}`,
    unit: found.unit,
    person: {
      ...found.row,
      column9: mismatchLines(found.row),
      statusText: STATUS_TEXT[found.row.status] ?? found.row.status,
      // What is on file, as Mẫu 01/02 write it: what an empty field keeps.
      dobText: found.row.ngaySinh ? birthDateText(found.row.ngaySinh) : '–',
      sexText: found.row.gioiTinh ? sexLabel(found.row.gioiTinh) : '–',
      numberText: found.row.soGiayTo || '–',
    },
    values,
    message,
    errors: refusalReasons(message),
    onFile: onFile(found.row),
  });

  app.get('/units/:ma_don_vi/people/:ma_so_bhxh', async (req, reply) => {
    const found = await person(req);
    // Where a correction saved leads (`?da_ghi=` its import): what it recorded, however often reloaded.
    const saved = (req.query as Record<string, unknown>).da_ghi;
    if (typeof saved === 'string' && /^\d{1,15}$/.test(saved)) {
      const { user } = requireUser(req);
      const { ma_so_bhxh: who } = req.params as { ma_so_bhxh: string };
      const fields = await webCorrectionFields(ctx.deps.db, Number(saved), user.login, who);
      // Shown even once the person has left the form (a run matched them since): it says what was saved then.
      if (fields !== null) return render(reply, req, 'person-saved', savedPage(found.offForm ? found.offForm.unit : found.unit, who, fields));
    }
    if (found.offForm) return render(reply, req, 'person-off-form', found.offForm);
    return render(reply, req, 'person', formPage(found, { ho_ten: '', ngay_sinh: '', gioi_tinh: '', so_ddcn: '' }, null));
  });

  app.post('/units/:ma_don_vi/people/:ma_so_bhxh', async (req, reply) => {
    // 409: what was typed no longer applies (the person left the form after it was opened).
    const found = await person(req);
    if (found.offForm) return render(reply.code(409), req, 'person-off-form', found.offForm);
    const values = { ho_ten: text(req, 'ho_ten'), ngay_sinh: text(req, 'ngay_sinh'), gioi_tinh: text(req, 'gioi_tinh'), so_ddcn: text(req, 'so_ddcn') };
    // Changed since the form was opened: nothing written; the form again, with what is on file now and what was typed
    // (a form without the field — a script's — is taken as before).
    const shown = text(req, 'dang_luu');
    if (shown && shown !== onFile(found.row)) {
      await audit(ctx.deps.db, { at: ctx.deps.now(), login: found.user.login, action: 'correct', object: `${found.code} ${found.who}`, result: 'refused 409: changed since the form was opened', ip: req.ip });
      return render(reply.code(409), req, 'person', formPage(found, values, CHANGED_SINCE));
    }
    // Exactly the check of a returned sheet's row (columns 10–13).
    // A form has no columns (1)–(9) to compare and no Excel error cells.
    const now = ctx.deps.now();
    const checked = checkReturnedRow(
      { line: 0, shown: [], errors: [], maSoBhxh: found.who, name: values.ho_ten, dob: values.ngay_sinh, sex: values.gioi_tinh, number: values.so_ddcn },
      now,
    );
    if (checked.kind !== 'ok') {
      // Refused before anything was written, and audited as a refused upload is: by its status (the reason quotes
      // what was typed, which the trail never holds).
      await audit(ctx.deps.db, { at: now, login: found.user.login, action: 'correct', object: `${found.code} ${found.who}`, result: 'refused 422', ip: req.ip });
      return render(reply.code(422), req, 'person', formPage(found, values, checked.kind === 'empty' ? 'Chưa điền thông tin nào cần sửa.' : checked.reason));
    }
    const outcome = await ctx.deps.db.withTransaction(async (tx) => {
      const source = `web:${found.user.login}`;
      const importId = await startImportRun(tx, 'corrections-web', source, now);
      const [o] = await applyCorrections(tx, { importId, unit: found.code, sourceFile: source, now, rows: [checked.input] });
      await finishImportRun(tx, importId, now, { rowsRead: 1, rejected: o!.kind === 'rejected' ? 1 : 0 });
      await tx.query(`UPDATE participant_correction SET source = 'web', changed_by = $2::text WHERE import_id = $1::bigint`, [importId, found.user.login]);
      const result = o!.kind === 'applied' ? `ok: ${o!.fields} values` : o!.kind;
      await audit(tx, { at: now, login: found.user.login, action: 'correct', object: `${found.code} ${found.who}`, result, ip: req.ip });
      return { ...o!, importId };
    });
    if (outcome.kind === 'rejected') return render(reply.code(422), req, 'person', formPage(found, values, outcome.reason));
    // What was saved on a page of its own (Post/Redirect/Get): reloading it, or coming Back to it, never sends the
    // form again — which said "nothing changed" of what had just been saved, or put back what someone corrected
    // since the form was sent.
    return reply.redirect(`/units/${encodeURIComponent(found.code)}/people/${encodeURIComponent(found.who)}?da_ghi=${outcome.importId}`, 303);
  });
}
