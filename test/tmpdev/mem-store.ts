import type { Store, UserTx, FreeBusyQuery } from '../../src/store/store.js';
export function openStore(_dir: string): Store {
  const data = new Map<string, any>();
  const u = (user: string) => { if (!data.has(user)) data.set(user, { role: undefined, prefs: {}, objects: new Map(), own: new Map(), others: new Map(), requests: [], counters: [], inbox: [], outbox: [], journal: [], seen: new Set() }); return data.get(user); };
  const journal: any[] = []; const outbox: any[] = [];
  const tx = (user: string): UserTx => { const d = u(user); return {
    user, getRole: () => d.role, setRole: (r) => { d.role = r; }, getPrefs: () => ({ ...d.prefs }), setPref: (k, v) => { if (v === null) delete d.prefs[k]; else d.prefs[k] = v; },
    getObject: (uid) => d.objects.get(uid), putObject: (o) => d.objects.set(o.uid, structuredClone(o)), deleteObject: (uid) => d.objects.delete(uid),
    setOwnPeriods: (uid, p) => d.own.set(uid, p), setOthersPeriods: (uid, who, p) => d.others.set(uid + '\0' + who, p),
    removeOthersPeriods: (uid, who) => { for (const k of [...d.others.keys()]) if (k.split('\0')[0] === uid && (!who || k.split('\0')[1] === who)) d.others.delete(k); },
    putRequest: (e) => { d.requests = d.requests.filter((r: any) => !(r.uid === e.uid && r.recurrenceId === e.recurrenceId)); d.requests.push(e); },
    removeRequests: (uid, rid) => { d.requests = d.requests.filter((r: any) => !(r.uid === uid && (rid === undefined || r.recurrenceId === rid))); },
    putCounter: (e) => { d.counters = d.counters.filter((r: any) => !(r.uid === e.uid && r.recurrenceId === e.recurrenceId && r.attendee === e.attendee)); d.counters.push(e); },
    removeCounters: (uid, rid, att) => { d.counters = d.counters.filter((r: any) => !(r.uid === uid && (rid === undefined || r.recurrenceId === rid) && (!att || r.attendee === att))); },
    listCounters: (uid) => d.counters.filter((c: any) => c.uid === uid),
    addInbox: (i) => d.inbox.push(i), addOutbox: (i) => outbox.push(i), addJournal: (e) => journal.push(e),
    hasSeen: (k) => d.seen.has(k), markSeen: (k) => d.seen.add(k) }; };
  const sortP = (a: any, b: any) => a.start.localeCompare(b.start) || a.uid.localeCompare(b.uid) || (a.recurrenceId ?? '').localeCompare(b.recurrenceId ?? '') || (a.participant ?? '').localeCompare(b.participant ?? '');
  return {
    async transact(user, fn) { return fn(tx(user)); },
    listUsers: () => [...data.keys()].sort(), getRole: (user) => u(user).role, getPrefs: (user) => ({ ...u(user).prefs }),
    listObjects: (user) => [...u(user).objects.values()].sort((a: any, b: any) => a.uid.localeCompare(b.uid)), getObject: (user, uid) => u(user).objects.get(uid),
    freeBusy(user, q: FreeBusyQuery = {}) { const d = u(user); const all = q.others ? [...d.others.values()].flat() : [...d.own.values()].flat(); return all.filter((p: any) => (!q.to || p.start < q.to) && (!q.from || p.end > q.from)).sort(sortP); },
    listRequests: (user) => [...u(user).requests].sort((a: any, b: any) => a.uid.localeCompare(b.uid) || (a.recurrenceId ?? '').localeCompare(b.recurrenceId ?? '')),
    listCounters: (user) => u(user).counters, listInbox: (user) => u(user).inbox,
    listOutbox: (user) => outbox.filter((o) => !user || o.user === user), getOutbox: (id) => outbox.find((o) => o.id === id), async updateOutbox() {},
    listJournal: (user) => journal.filter((e) => !user || e.recipient === user), async close() {},
  };
}
