// The words of the mail the agent writes itself (the text part and Subject of
// its iMIP mail, and its notices), in the user's language (the LANG
// preference, as in imip-agent: default English). Only the agent's own words
// change; what the calendar says (SUMMARY, LOCATION, names) is shown as the
// sender wrote it, and the calendar part is the same in every language.
//
// Policy is data: one table per language, each with the same keys, so that a
// missing text is a type error, not a mail with a hole in it.

export const SUPPORTED_LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];

/**
 * The language of a LANG value: its primary subtag (de-CH, de_DE.UTF-8 -> de),
 * or undefined when the agent has no texts in it.
 */
export function languageOf(lang: string | undefined): Language | undefined {
  const primary = (lang ?? '').trim().toLowerCase().split(/[-_.]/)[0];
  return (SUPPORTED_LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : undefined;
}

/** The texts for a LANG value; English when it is unset or unknown (it was checked when set). */
export function textsFor(lang: string | undefined): Texts {
  return TEXTS[languageOf(lang) ?? 'en'];
}

/** The PARTSTATs an answer can carry; a task's assignee also reports progress (RFC 5545 section 3.2.12, RFC 5546 section 3.4.3). */
type Partstat = 'ACCEPTED' | 'DECLINED' | 'TENTATIVE' | 'DELEGATED' | 'IN-PROCESS' | 'COMPLETED' | 'NEEDS-ACTION';

export interface Texts {
  /** Subject prefixes per method; REPLY per PARTSTAT (the answer). */
  subject: {
    invitation: string;
    updated: string;
    cancelled: string;
    event: string;
    refresh: string;
    counter: string;
    declineCounter: string;
    reply: string;
    freeBusy: string;
  };
  answer: Record<Partstat, string>;
  /** How a PARTSTAT reads in a sentence ("has accepted", the attendee list). */
  partstat: Record<Partstat, string>;
  opening: {
    invites(sender: string): string;
    updated(sender: string): string;
    replied(sender: string, partstat: string | undefined): string;
    cancelled(sender: string): string;
    added(sender: string): string;
    published(sender: string): string;
    refresh(sender: string): string;
    counter(sender: string): string;
    declineCounter(sender: string): string;
    other(sender: string, method: string): string;
  };
  /** Labels of the text part, each padded to the same width. */
  label: { event: string; when: string; instance: string; repeats: string; where: string; organizer: string; answer: string; attendees: string };
  cancelledMark: string;
  /** Words of the time line (whenText): an all-day event, a day range, floating time. */
  when: { allDay: string; to: string; floating: string };
  moreInstances(n: number): string;
  more(n: number): string;
  carries(method: string): string;
  freeBusy: { asks(sender: string, range: string): string; sends(sender: string, range: string): string; busy: string; none: string; to: string };
  notice: {
    subject(summary: string): string;
    invites(who: string): string;
    linksIntro: string;
    accept: string;
    tentative: string;
    decline: string;
    linksUntil(until: string): string;
    allWaiting(url: string): string;
    noLinks: string;
    inMailbox: string;
    why: string;
    repeating: string;
    noTitle: string;
  };
}

/** A label and its colon, padded so that the values line up (one space at least). */
const pad = (label: string) => (label.length + 1 >= 12 ? `${label}: ` : `${label}:`.padEnd(12));

const EN: Texts = {
  subject: {
    invitation: 'Invitation',
    updated: 'Updated',
    cancelled: 'Cancelled',
    event: 'Event',
    refresh: 'Please send the current version',
    counter: 'New time proposed',
    declineCounter: 'Proposal declined',
    reply: 'Reply',
    freeBusy: 'Free/busy',
  },
  answer: { ACCEPTED: 'Accepted', DECLINED: 'Declined', TENTATIVE: 'Tentative', DELEGATED: 'Delegated', 'IN-PROCESS': 'In progress', COMPLETED: 'Completed', 'NEEDS-ACTION': 'Reply' },
  partstat: {
    ACCEPTED: 'accepted',
    DECLINED: 'declined',
    TENTATIVE: 'tentatively accepted',
    DELEGATED: 'delegated',
    'IN-PROCESS': 'started work on',
    COMPLETED: 'completed',
    'NEEDS-ACTION': 'not answered yet',
  },
  opening: {
    invites: (s) => `${s} invites you to this event.`,
    updated: (s) => `${s} has updated this event.`,
    replied: (s, p) => `${s} has ${p ?? 'answered'} this invitation.`,
    cancelled: (s) => `${s} has cancelled this event (or the instances listed below).`,
    added: (s) => `${s} has added instances to this event.`,
    published: (s) => `${s} has published this event.`,
    refresh: (s) => `${s} asks for the current version of this event.`,
    counter: (s) => `${s} proposes a change to this event.`,
    declineCounter: (s) => `${s} has declined your proposed change to this event.`,
    other: (s, m) => `${s} sent a calendar message (${m}).`,
  },
  label: {
    event: pad('Event'),
    when: pad('When'),
    instance: pad('Instance'),
    repeats: pad('Repeats'),
    where: pad('Where'),
    organizer: pad('Organizer'),
    answer: pad('Answer'),
    attendees: 'Attendees:',
  },
  cancelledMark: 'cancelled',
  when: { allDay: '(all day)', to: 'to', floating: '(local time wherever you are)' },
  moreInstances: (n) => `and ${n} more instances`,
  more: (n) => `and ${n} more`,
  carries: (m) => `This mail carries the calendar data (iTIP method ${m}) for your calendar program.`,
  freeBusy: {
    asks: (s, r) => `${s} asks for your busy times from ${r}.`,
    sends: (s, r) => `${s} sends busy times from ${r}.`,
    busy: 'Busy:',
    none: 'No busy time in that range.',
    to: 'to',
  },
  notice: {
    subject: (s) => `Waiting for your answer: ${s}`,
    invites: (who) => `${who} invites you, and the invitation waits for your answer.`,
    linksIntro: 'Answer without signing in (each link opens the invitation; nothing is sent until you press the button there):',
    accept: pad('Accept'),
    tentative: pad('Tentative'),
    decline: pad('Decline'),
    linksUntil: (t) => `The links work until ${t} UTC, and stop working once the invitation is answered or changed.`,
    allWaiting: (u) => `All invitations waiting for you: ${u}`,
    noLinks: 'Answer it in your calendar program, or sign in to the calendar web pages.',
    inMailbox: 'The invitation itself is in your mailbox as it came.',
    why: 'You get these notices because notify_requests is on in your calendar preferences; set it to no to stop them.',
    repeating: 'repeating',
    noTitle: '(no title)',
  },
};

const DE: Texts = {
  subject: {
    invitation: 'Einladung',
    updated: 'Aktualisiert',
    cancelled: 'Abgesagt',
    event: 'Termin',
    refresh: 'Bitte aktuelle Fassung senden',
    counter: 'Neue Zeit vorgeschlagen',
    declineCounter: 'Vorschlag abgelehnt',
    reply: 'Antwort',
    freeBusy: 'Frei/Gebucht',
  },
  answer: { ACCEPTED: 'Zugesagt', DECLINED: 'Abgesagt', TENTATIVE: 'Vorläufig zugesagt', DELEGATED: 'Delegiert', 'IN-PROCESS': 'In Bearbeitung', COMPLETED: 'Erledigt', 'NEEDS-ACTION': 'Antwort' },
  partstat: {
    ACCEPTED: 'zugesagt',
    DECLINED: 'abgesagt',
    TENTATIVE: 'vorläufig zugesagt',
    DELEGATED: 'delegiert',
    'IN-PROCESS': 'in Bearbeitung genommen',
    COMPLETED: 'erledigt',
    'NEEDS-ACTION': 'noch nicht beantwortet',
  },
  opening: {
    invites: (s) => `${s} lädt Sie zu diesem Termin ein.`,
    updated: (s) => `${s} hat diesen Termin geändert.`,
    replied: (s, p) => (p ? `${s} hat auf diese Einladung geantwortet: ${p}.` : `${s} hat diese Einladung beantwortet.`),
    cancelled: (s) => `${s} hat diesen Termin (oder die unten genannten Termine der Serie) abgesagt.`,
    added: (s) => `${s} hat diesem Termin weitere Termine der Serie hinzugefügt.`,
    published: (s) => `${s} hat diesen Termin veröffentlicht.`,
    refresh: (s) => `${s} bittet um die aktuelle Fassung dieses Termins.`,
    counter: (s) => `${s} schlägt eine Änderung dieses Termins vor.`,
    declineCounter: (s) => `${s} hat Ihren Änderungsvorschlag zu diesem Termin abgelehnt.`,
    other: (s, m) => `${s} hat eine Kalendernachricht gesendet (${m}).`,
  },
  label: {
    event: pad('Termin'),
    when: pad('Wann'),
    instance: pad('Einzeln'),
    repeats: pad('Wiederholt'),
    where: pad('Ort'),
    organizer: pad('Organisator'),
    answer: pad('Antwort'),
    attendees: 'Teilnehmer:',
  },
  cancelledMark: 'abgesagt',
  when: { allDay: '(ganztägig)', to: 'bis', floating: '(Ortszeit, wo immer Sie sind)' },
  moreInstances: (n) => `und ${n} weitere Termine`,
  more: (n) => `und ${n} weitere`,
  carries: (m) => `Diese Mail enthält die Kalenderdaten (iTIP-Methode ${m}) für Ihr Kalenderprogramm.`,
  freeBusy: {
    asks: (s, r) => `${s} fragt nach Ihren belegten Zeiten von ${r}.`,
    sends: (s, r) => `${s} sendet belegte Zeiten von ${r}.`,
    busy: 'Belegt:',
    none: 'In diesem Zeitraum ist nichts belegt.',
    to: 'bis',
  },
  notice: {
    subject: (s) => `Wartet auf Ihre Antwort: ${s}`,
    invites: (who) => `${who} lädt Sie ein, und die Einladung wartet auf Ihre Antwort.`,
    linksIntro: 'Antworten ohne Anmeldung (jeder Link öffnet die Einladung; gesendet wird erst, wenn Sie dort die Schaltfläche drücken):',
    accept: pad('Zusagen'),
    tentative: pad('Vorläufig'),
    decline: pad('Absagen'),
    linksUntil: (t) => `Die Links gelten bis ${t} UTC und nur, solange die Einladung unbeantwortet und unverändert ist.`,
    allWaiting: (u) => `Alle Einladungen, die auf Sie warten: ${u}`,
    noLinks: 'Beantworten Sie sie in Ihrem Kalenderprogramm oder nach Anmeldung in den Kalender-Webseiten.',
    inMailbox: 'Die Einladung selbst liegt unverändert in Ihrem Postfach.',
    why: 'Sie erhalten diese Hinweise, weil notify_requests in Ihren Kalendereinstellungen eingeschaltet ist; setzen Sie es auf no, um sie abzubestellen.',
    repeating: 'wiederholt',
    noTitle: '(ohne Titel)',
  },
};

const FR: Texts = {
  subject: {
    invitation: 'Invitation',
    updated: 'Mis à jour',
    cancelled: 'Annulé',
    event: 'Événement',
    refresh: 'Merci d’envoyer la version actuelle',
    counter: 'Nouvel horaire proposé',
    declineCounter: 'Proposition refusée',
    reply: 'Réponse',
    freeBusy: 'Disponibilités',
  },
  answer: { ACCEPTED: 'Accepté', DECLINED: 'Refusé', TENTATIVE: 'Provisoire', DELEGATED: 'Délégué', 'IN-PROCESS': 'En cours', COMPLETED: 'Terminé', 'NEEDS-ACTION': 'Réponse' },
  partstat: {
    ACCEPTED: 'accepté',
    DECLINED: 'refusé',
    TENTATIVE: 'accepté provisoirement',
    DELEGATED: 'délégué',
    'IN-PROCESS': 'commencé le travail sur',
    COMPLETED: 'terminé',
    'NEEDS-ACTION': 'sans réponse pour l’instant',
  },
  opening: {
    invites: (s) => `${s} vous invite à cet événement.`,
    updated: (s) => `${s} a modifié cet événement.`,
    replied: (s, p) => `${s} a ${p ?? 'répondu à'} cette invitation.`,
    cancelled: (s) => `${s} a annulé cet événement (ou les occurrences indiquées ci-dessous).`,
    added: (s) => `${s} a ajouté des occurrences à cet événement.`,
    published: (s) => `${s} a publié cet événement.`,
    refresh: (s) => `${s} demande la version actuelle de cet événement.`,
    counter: (s) => `${s} propose une modification de cet événement.`,
    declineCounter: (s) => `${s} a refusé votre proposition de modification de cet événement.`,
    other: (s, m) => `${s} a envoyé un message de calendrier (${m}).`,
  },
  label: {
    event: pad('Événement'),
    when: pad('Quand'),
    instance: pad('Occurrence'),
    repeats: pad('Répétition'),
    where: pad('Lieu'),
    organizer: pad('Organisateur'),
    answer: pad('Réponse'),
    attendees: 'Participants :',
  },
  cancelledMark: 'annulé',
  when: { allDay: '(toute la journée)', to: 'au', floating: '(heure locale, où que vous soyez)' },
  moreInstances: (n) => `et ${n} autres occurrences`,
  more: (n) => `et ${n} autres`,
  carries: (m) => `Ce message contient les données de calendrier (méthode iTIP ${m}) pour votre logiciel d’agenda.`,
  freeBusy: {
    asks: (s, r) => `${s} demande vos périodes occupées du ${r}.`,
    sends: (s, r) => `${s} envoie ses périodes occupées du ${r}.`,
    busy: 'Occupé :',
    none: 'Aucune période occupée dans cet intervalle.',
    to: 'au',
  },
  notice: {
    subject: (s) => `En attente de votre réponse : ${s}`,
    invites: (who) => `${who} vous invite, et l’invitation attend votre réponse.`,
    linksIntro: 'Répondre sans vous connecter (chaque lien ouvre l’invitation ; rien n’est envoyé avant que vous appuyiez sur le bouton) :',
    accept: pad('Accepter'),
    tentative: pad('Provisoire'),
    decline: pad('Refuser'),
    linksUntil: (t) => `Les liens sont valables jusqu’au ${t} UTC, tant que l’invitation n’a ni réponse ni modification.`,
    allWaiting: (u) => `Toutes les invitations en attente : ${u}`,
    noLinks: 'Répondez dans votre logiciel d’agenda, ou connectez-vous aux pages web du calendrier.',
    inMailbox: 'L’invitation elle-même se trouve telle quelle dans votre boîte aux lettres.',
    why: 'Vous recevez ces avis parce que notify_requests est activé dans vos préférences de calendrier ; mettez-le à no pour les arrêter.',
    repeating: 'répété',
    noTitle: '(sans titre)',
  },
};

const TEXTS: Record<Language, Texts> = { en: EN, de: DE, fr: FR };
