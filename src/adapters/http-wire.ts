// The registry API on the wire (README "Registry API (HTTP)"): request and answer bodies, validated with zod on
// both sides. The mock server parses requests with these schemas and the HTTP adapter parses answers with them,
// so the two cannot drift apart. Field names follow the CSV columns, which the file exchange shares.
import { z } from 'zod';
import type { Field } from '../domain/types.js';
import type { ShareRecord, VerifyAnswer, VerifyRequest } from './types.js';

/** The most people one request may carry; the server answers 413 beyond it. */
export const MAX_PEOPLE_PER_REQUEST = 1000;

const requestId = z.string().min(1).max(64);
const dateKey = z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/);
const sex = z.enum(['M', 'F']);
const ddcn = z.string().regex(/^\d{12}$/);
const FIELDS = ['dob', 'id_number', 'name', 'sex'] as const satisfies readonly Field[];

/** The longest name the registry takes (characters as JavaScript counts them). */
export const MAX_NAME_CHARS = 200;

/** One person in a verify request; the pipeline checks each against it before sending (preflight.ts). */
export const WirePerson = z.object({
  request_id: requestId,
  ho_ten: z.string().max(MAX_NAME_CHARS),
  ngay_sinh: dateKey.nullable(),
  gioi_tinh: sex.nullable(),
  so_giay_to: z.string().regex(/^(\d{9}|\d{12})$/),
});

/** Request fields by the matching field they carry, for saying which field a refusal is about. */
export const WIRE_FIELD: Readonly<Record<string, Field>> = { ho_ten: 'name', ngay_sinh: 'dob', gioi_tinh: 'sex', so_giay_to: 'id_number' };

export const WireVerifyRequest = z.object({
  requests: z
    .array(WirePerson)
    .min(1)
    .max(MAX_PEOPLE_PER_REQUEST),
});
export type WireVerifyRequest = z.infer<typeof WireVerifyRequest>;

/**
 * A name the registry discloses: no longer than one it takes, and without control or direction-changing characters.
 * One NUL in it failed the chunk's write (PostgreSQL's JSON takes no \u0000) and with it the whole run, chunk after
 * chunk, over HTTP, and left an answer file neither applied nor refused; such an answer is now refused as malformed,
 * as any other answer that does not fit, and its people stay PENDING. What it would print on Mẫu 02's column (9) could
 * not be trusted anyway.
 * A lone surrogate (JSON's `\ud800` escape; a pair, a character beyond the Basic Multilingual Plane, is text) is no
 * text either, and jsonb refuses it as it refuses the NUL.
 */
const disclosedName = z.string().max(MAX_NAME_CHARS).regex(/^[^\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069]*$/u);

const Disclosed = z.object({ ho_ten: disclosedName.optional(), ngay_sinh: dateKey.optional(), gioi_tinh: sex.optional() }).strict();

export const WireAnswer = z.discriminatedUnion('matched', [
  z.object({ request_id: requestId, matched: z.literal(true), so_ddcn: ddcn, fields: z.array(z.enum(FIELDS)).max(0) }).strict(),
  z
    .object({
      request_id: requestId,
      matched: z.literal(false),
      so_ddcn: z.null(),
      fields: z.array(z.enum(FIELDS)).min(1).max(FIELDS.length),
      registry: Disclosed.optional(),
    })
    .strict(),
]);
export type WireAnswer = z.infer<typeof WireAnswer>;

export const WireVerifyResponse = z.object({ answers: z.array(WireAnswer) }).strict();

export const WireShareRequest = z.object({
  records: z
    .array(z.object({ request_id: requestId, ma_so_bhxh: z.string().regex(/^\d{10}$/), so_ddcn: ddcn, vssid: z.boolean() }))
    .min(1)
    .max(MAX_PEOPLE_PER_REQUEST),
});
export type WireShareRequest = z.infer<typeof WireShareRequest>;

export const WireShareResponse = z.object({ acknowledged: z.array(requestId) }).strict();

export const WireError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export function toWireRequest(r: VerifyRequest): WireVerifyRequest['requests'][number] {
  return { request_id: r.requestId, ho_ten: r.hoTen, ngay_sinh: r.ngaySinh, gioi_tinh: r.gioiTinh, so_giay_to: r.soGiayTo };
}

export function fromWireRequest(r: WireVerifyRequest['requests'][number]): VerifyRequest {
  return { requestId: r.request_id, hoTen: r.ho_ten, ngaySinh: r.ngay_sinh, gioiTinh: r.gioi_tinh, soGiayTo: r.so_giay_to };
}

export function toWireAnswer(a: VerifyAnswer): WireAnswer {
  if (a.matched) return { request_id: a.requestId, matched: true, so_ddcn: a.soDdcn!, fields: [] };
  const registry: NonNullable<Extract<WireAnswer, { matched: false }>['registry']> = {};
  if (a.registry?.hoTen !== undefined) registry.ho_ten = a.registry.hoTen;
  if (a.registry?.ngaySinh !== undefined) registry.ngay_sinh = a.registry.ngaySinh;
  if (a.registry?.gioiTinh !== undefined) registry.gioi_tinh = a.registry.gioiTinh;
  return { request_id: a.requestId, matched: false, so_ddcn: null, fields: [...a.fields], ...(Object.keys(registry).length ? { registry } : {}) };
}

export function fromWireAnswer(a: WireAnswer): VerifyAnswer {
  if (a.matched) return { requestId: a.request_id, matched: true, soDdcn: a.so_ddcn, fields: [] };
  const out: VerifyAnswer = { requestId: a.request_id, matched: false, soDdcn: null, fields: [...a.fields].sort() };
  if (a.registry) {
    out.registry = {};
    if (a.registry.ho_ten !== undefined) out.registry.hoTen = a.registry.ho_ten;
    if (a.registry.ngay_sinh !== undefined) out.registry.ngaySinh = a.registry.ngay_sinh;
    if (a.registry.gioi_tinh !== undefined) out.registry.gioiTinh = a.registry.gioi_tinh;
  }
  return out;
}

export function toWireShare(r: ShareRecord): WireShareRequest['records'][number] {
  return { request_id: r.requestId, ma_so_bhxh: r.maSoBhxh, so_ddcn: r.soDdcn, vssid: r.vssid };
}

/** Why a set of answers does not fit the request it claims to answer. */
export type MisfitReason = 'schema' | 'unknown_id' | 'missing_id' | 'duplicate_id';

/**
 * Checks that answers name exactly the people asked, each once. Returns the reason they do not fit, or null.
 * Only ids are compared; nothing personal is echoed into the reason.
 */
export function answersMisfit(asked: readonly string[], answered: readonly string[]): MisfitReason | null {
  const want = new Set(asked);
  const seen = new Set<string>();
  for (const id of answered) {
    if (!want.has(id)) return 'unknown_id';
    if (seen.has(id)) return 'duplicate_id';
    seen.add(id);
  }
  return seen.size === want.size ? null : 'missing_id';
}

/** Parses a verify response body for the people asked: their answers, or why the body does not fit. */
export function parseVerifyResponse(body: unknown, asked: readonly VerifyRequest[]): VerifyAnswer[] | MisfitReason {
  const parsed = WireVerifyResponse.safeParse(body);
  if (!parsed.success) return 'schema';
  const misfit = answersMisfit(asked.map((r) => r.requestId), parsed.data.answers.map((a) => a.request_id));
  if (misfit) return misfit;
  return parsed.data.answers.map(fromWireAnswer);
}
