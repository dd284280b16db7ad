// garde's web console (docs/console.md): a page of its own over garde's JSON APIs
// (docs/openapi.json). It adds no rule: every action is an API call that the broker checks as it
// checks any other caller (session, role, CSRF token, establishment scope). Values reach the page
// only as text nodes or attribute values set through the DOM, never as HTML.
"use strict";

(() => {
  // ---- Words, French first ------------------------------------------------------------------
  const WORDS = {
    fr: {
      skip: "Aller au contenu", nav: "Navigation principale", loading: "Chargement",
      english: "English", signout: "Se déconnecter", footer: "garde — gestionnaire d'accès aux ressources",
      sessionLeft: (m) => `Session : ${m} min restantes`, sessionEnded: "Session terminée : reconnectez-vous.",
      signinTitle: "Connexion", signinLocal: "Compte du ministère (administrateur, auditeur)",
      username: "Identifiant", password: "Mot de passe", totp: "Code à usage unique",
      totpHint: "Six chiffres, si votre compte a la double authentification.",
      signin: "Se connecter", signinEnt: "Responsable d'affectation d'un établissement",
      entId: "Identifiant de votre ENT (idENT)", signinEntButton: "Se connecter par son ENT",
      badLogin: "Identifiant, mot de passe ou code incorrect.",
      throttled: (s) => `Trop d'essais : réessayez dans ${s} s.`,
      home: "Accueil", contracts: "Contrats", ceilings: "Plafonds", explain: "Expliquer",
      audit: "Journal", assignments: "Affectations", usage: "Usage",
      welcome: (who) => `Bienvenue, ${who}`,
      roleAdmin: "administrateur du ministère", roleAuditor: "auditeur (lecture seule)",
      roleManager: "responsable d'affectation",
      homeContracts: "Les contrats des éditeurs en attente de revue, leurs besoins face aux plafonds.",
      homeCeilings: "Ce qui peut être transmis, par profil et catégorie ; tout élargissement passe par un second administrateur.",
      homeExplain: "Ce qu'une ressource recevrait d'une personne ou d'un profil, et pourquoi pas le reste.",
      homeAudit: "Les transmissions, refus et actions d'administration ; l'export des données d'une personne.",
      homeAssignments: "Les abonnements de vos établissements et leurs affectations.",
      homeUsage: "Les lancements par jour, éditeur, ressource, profil et établissement.",
      status: "Statut", all: "Tous", publisher: "Éditeur", revision: "Révision", submittedAt: "Déposé le",
      submittedBy: "Par", open: "Ouvrir", none: "Aucun résultat.", flags: "Signalements",
      st_submitted: "déposé", st_approved: "approuvé", st_rejected: "refusé", st_suspended: "suspendu",
      st_superseded: "remplacé", st_pending: "en attente",
      contractTitle: (id) => `Contrat n° ${id}`, problems: "Problèmes", noProblem: "Aucun problème.",
      resource: "Ressource", category: "Catégorie", profile: "Profil", attribute: "Attribut",
      justification: "Justification", inCatalogue: "Au catalogue", withinCeiling: "Sous le plafond",
      yes: "oui", no: "non", preview: "Voir l'impact", impact: "Impact de l'approbation",
      people: "Personnes", establishments: "Établissements", startFlowing: "Commencerait", stopFlowing: "Cesserait",
      approve: "Approuver", reject: "Refuser", suspend: "Suspendre", reinstate: "Rétablir",
      reason: "Motif", reasonHint: "Enregistré dans l'historique et le journal.",
      confirmApprove: "Confirmer l'approbation", previewFirst: "Voyez l'impact avant d'approuver.",
      done: "Fait.", back: "Retour à la liste", decidedBy: "Décidé par",
      inForce: (v) => `Version en vigueur : ${v}`, edit: "Proposer une modification",
      diff: "Différences avec la version en vigueur", gained: "ajouté", lost: "retiré",
      noChange: "Aucune différence.", propose: "Envoyer", applied: (v) => `Appliqué : version ${v}.`,
      proposed: (id) => `Élargissement proposé (n° ${id}) : il attend l'approbation d'un autre administrateur.`,
      proposals: "Propositions en attente", proposedBy: "Proposé par", ownProposal: "Votre proposition : un autre administrateur doit l'approuver.",
      addCategory: "Ajouter une catégorie", categoryName: "Catégorie (ex. manuel, outil, *)",
      explainTitle: "Expliquer une transmission", byProfile: "Par profil", byPerson: "Par personne",
      mode: "Expliquer pour", entIdShort: "ENT (idENT)", personId: "Identifiant de la personne dans l'ENT",
      uai: "Établissement (UAI)", run: "Expliquer", released: "Transmis", withheld: "Non transmis",
      rule: "Règle", entitled: "Droit d'accès", refusal: "Refus", contractStatus: "Contrat",
      auditTitle: "Journal", kind: "Type", outcome: "Résultat", actor: "Acteur", from: "Du", until: "Au",
      search: "Rechercher", exportCsv: "Exporter en CSV", next: "Page suivante", first: "Première page",
      at: "Date", subjectTitle: "Export des données d'une personne", subjectHint: "Toutes les lignes du journal qui la concernent (droit d'accès).",
      download: "Télécharger", kind_launch: "lancement", kind_admin: "administration",
      oc_released: "transmis", oc_refused: "refusé", oc_done: "fait", oc_failed: "échoué",
      assignTitle: "Affectations", establishment: "Établissement", subscriptions: "Abonnements",
      label: "Libellé", type: "Type", validity: "Validité", licences: "Licences", used: "utilisées",
      left: "restantes", unlimited: "illimitées", assign: "Affecter", target: "Cible", kindPerson: "une personne",
      kindClass: "une classe", kindGroup: "un groupe", kindEstablishment: "tout l'établissement",
      searchDirectory: "Chercher dans l'annuaire", assignedBy: "Affecté par", remove: "Retirer",
      assigned: "Affecté.", removed: "Retiré.", subscription: "Abonnement", pick: "Choisir",
      usageTitle: "Usage", period: "Période", days7: "7 derniers jours", days28: "28 derniers jours",
      days90: "90 derniers jours", perDay: "Lancements par jour et par éditeur", perResource: "Lancements par ressource",
      perProfile: "Lancements par profil", perUai: "Lancements par établissement", refusals: "Refus par motif",
      attributes: "Attributs transmis par jour", launches: "Lancements", day: "Jour", count: "Nombre",
      dataTable: "Voir les chiffres", noData: "Pas encore de données pour cette période.",
      federation: "Fédération", homeFederation: "Les sources de métadonnées des partenaires, leurs échecs, et les exceptions d'algorithme accordées.",
      federationTitle: "Fédération", exceptions: "Exceptions d'algorithme", noException: "Aucune exception accordée : les règles strictes valent pour tous.",
      peer: "Partenaire", peer_ent: "ENT", peer_publisher: "éditeur", algorithm: "Algorithme", expires: "Expire le",
      grantedBy: "Accordée par", state: "État", granted: "accordée", expiredRefused: "expirée : refusée",
      sources: "Sources de métadonnées", noSource: "Aucune source : chaque partenaire utilise ses métadonnées enregistrées.",
      source: "Source", url: "Adresse", up: "à jour", down: "en échec", expiring: "expire bientôt ou manquante",
      lastSuccess: "Dernier succès", validUntil: "Valide jusqu'au", failures: "Échecs", lastError: "Dernière erreur",
      served: "servi", notServed: (why) => `non servi : ${why}`, keys: "Clés", never: "jamais",
      error: (m) => `Erreur : ${m}`, forbidden: "Refusé : votre session ne permet pas cette action.",
      network: "Le serveur ne répond pas.",
    },
    en: {
      skip: "Skip to content", nav: "Main navigation", loading: "Loading",
      english: "Français", signout: "Sign out", footer: "garde — resource access broker",
      sessionLeft: (m) => `Session: ${m} min left`, sessionEnded: "Session ended: sign in again.",
      signinTitle: "Sign in", signinLocal: "Ministry account (admin, auditor)",
      username: "Username", password: "Password", totp: "One-time code",
      totpHint: "Six digits, if your account has two-factor authentication.",
      signin: "Sign in", signinEnt: "An establishment's assignment manager",
      entId: "Your ENT's identifier (idENT)", signinEntButton: "Sign in through your ENT",
      badLogin: "Wrong username, password or code.",
      throttled: (s) => `Too many attempts: try again in ${s} s.`,
      home: "Home", contracts: "Contracts", ceilings: "Ceilings", explain: "Explain",
      audit: "Audit", assignments: "Assignments", usage: "Usage",
      welcome: (who) => `Welcome, ${who}`,
      roleAdmin: "ministry admin", roleAuditor: "auditor (read only)", roleManager: "assignment manager",
      homeContracts: "Publishers' contracts waiting for review, their needs against the ceilings.",
      homeCeilings: "What may be released, per profile and category; any widening needs a second admin.",
      homeExplain: "What a resource would receive about a person or a profile, and why not the rest.",
      homeAudit: "Releases, refusals and admin actions; one person's data export.",
      homeAssignments: "Your establishments' subscriptions and their assignments.",
      homeUsage: "Launches per day, publisher, resource, profile and establishment.",
      status: "Status", all: "All", publisher: "Publisher", revision: "Revision", submittedAt: "Submitted",
      submittedBy: "By", open: "Open", none: "Nothing found.", flags: "Flags",
      st_submitted: "submitted", st_approved: "approved", st_rejected: "rejected", st_suspended: "suspended",
      st_superseded: "superseded", st_pending: "pending",
      contractTitle: (id) => `Contract #${id}`, problems: "Problems", noProblem: "No problem.",
      resource: "Resource", category: "Category", profile: "Profile", attribute: "Attribute",
      justification: "Justification", inCatalogue: "In catalogue", withinCeiling: "Within ceiling",
      yes: "yes", no: "no", preview: "See the impact", impact: "Impact of the approval",
      people: "People", establishments: "Establishments", startFlowing: "Would start", stopFlowing: "Would stop",
      approve: "Approve", reject: "Reject", suspend: "Suspend", reinstate: "Reinstate",
      reason: "Reason", reasonHint: "Kept in the history and the audit trail.",
      confirmApprove: "Confirm the approval", previewFirst: "See the impact before approving.",
      done: "Done.", back: "Back to the list", decidedBy: "Decided by",
      inForce: (v) => `Version in force: ${v}`, edit: "Propose a change",
      diff: "Differences with the version in force", gained: "added", lost: "removed",
      noChange: "No difference.", propose: "Send", applied: (v) => `Applied: version ${v}.`,
      proposed: (id) => `Widening proposed (#${id}): it waits for another admin's approval.`,
      proposals: "Pending proposals", proposedBy: "Proposed by", ownProposal: "Your proposal: another admin must approve it.",
      addCategory: "Add a category", categoryName: "Category (e.g. manuel, outil, *)",
      explainTitle: "Explain a release", byProfile: "By profile", byPerson: "By person",
      mode: "Explain for", entIdShort: "ENT (idENT)", personId: "The person's identifier at the ENT",
      uai: "Establishment (UAI)", run: "Explain", released: "Released", withheld: "Not released",
      rule: "Rule", entitled: "Entitled", refusal: "Refusal", contractStatus: "Contract",
      auditTitle: "Audit trail", kind: "Kind", outcome: "Outcome", actor: "Actor", from: "From", until: "Until",
      search: "Search", exportCsv: "Export as CSV", next: "Next page", first: "First page",
      at: "Date", subjectTitle: "One person's data export", subjectHint: "Every audit row about them (subject access).",
      download: "Download", kind_launch: "launch", kind_admin: "admin",
      oc_released: "released", oc_refused: "refused", oc_done: "done", oc_failed: "failed",
      assignTitle: "Assignments", establishment: "Establishment", subscriptions: "Subscriptions",
      label: "Label", type: "Type", validity: "Validity", licences: "Licences", used: "used",
      left: "left", unlimited: "unlimited", assign: "Assign", target: "Target", kindPerson: "a person",
      kindClass: "a class", kindGroup: "a group", kindEstablishment: "the whole establishment",
      searchDirectory: "Search the directory", assignedBy: "Assigned by", remove: "Remove",
      assigned: "Assigned.", removed: "Removed.", subscription: "Subscription", pick: "Pick",
      usageTitle: "Usage", period: "Period", days7: "Last 7 days", days28: "Last 28 days",
      days90: "Last 90 days", perDay: "Launches per day and publisher", perResource: "Launches per resource",
      perProfile: "Launches per profile", perUai: "Launches per establishment", refusals: "Refusals by reason",
      attributes: "Attributes released per day", launches: "Launches", day: "Day", count: "Count",
      dataTable: "See the figures", noData: "No data for this period yet.",
      federation: "Federation", homeFederation: "Partners' metadata sources, their failures, and the algorithm exceptions granted.",
      federationTitle: "Federation", exceptions: "Algorithm exceptions", noException: "No exception granted: the strict rules hold for everyone.",
      peer: "Partner", peer_ent: "ENT", peer_publisher: "publisher", algorithm: "Algorithm", expires: "Expires",
      grantedBy: "Granted by", state: "State", granted: "granted", expiredRefused: "expired: refused",
      sources: "Metadata sources", noSource: "No source: every partner uses its registered metadata.",
      source: "Source", url: "URL", up: "up to date", down: "failing", expiring: "expiring soon or missing",
      lastSuccess: "Last success", validUntil: "Valid until", failures: "Failures", lastError: "Last error",
      served: "served", notServed: (why) => `not served: ${why}`, keys: "Keys", never: "never",
      error: (m) => `Error: ${m}`, forbidden: "Refused: your session does not allow this.",
      network: "The server does not answer.",
    },
  };
  const RULES = {
    fr: {
      not_declared: "non déclaré par le contrat", above_ceiling: "au-delà du plafond du ministère",
      not_in_catalogue: "absent du catalogue", not_for_profile: "n'existe pas pour ce profil",
      no_value: "l'annuaire n'en a pas", contract_not_approved: "contrat non approuvé",
      not_entitled: "pas de droit d'accès",
    },
    en: {
      not_declared: "not declared by the contract", above_ceiling: "above the ministry's ceiling",
      not_in_catalogue: "not in the catalogue", not_for_profile: "does not exist for this profile",
      no_value: "the directory holds none", contract_not_approved: "contract not approved",
      not_entitled: "not entitled",
    },
  };
  // French first: English when asked for (the button), remembered in this browser.
  let lang = localStorage.getItem("garde.lang") === "en" ? "en" : "fr";
  const t = (key, ...args) => {
    const w = WORDS[lang][key] ?? WORDS.fr[key] ?? key;
    return typeof w === "function" ? w(...args) : w;
  };
  const ruleText = (code) => (RULES[lang][code] ? `${RULES[lang][code]} (${code})` : code);

  // ---- DOM ------------------------------------------------------------------------------------
  /** An element with attributes (on* as listeners) and children (strings become text). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const $ = (id) => document.getElementById(id);
  let uid = 0;
  const nextId = (p) => `${p}-${++uid}`;

  /** A labelled field: returns {wrap, input}. */
  function field(labelText, input, hint) {
    const id = input.id || nextId("f");
    input.id = id;
    const hintId = hint ? `${id}-hint` : null;
    if (hintId) input.setAttribute("aria-describedby", hintId);
    const wrap = h("div", {}, h("label", { for: id }, labelText, hint ? h("span", { class: "hint", id: hintId }, hint) : null), input);
    return { wrap, input };
  }
  function table(caption, headers, rows, opts = {}) {
    // A region the keyboard can scroll when the table is wider than the screen.
    return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || headers.filter(Boolean).join(", ") },
      h("table", {},
        caption ? h("caption", {}, caption) : null,
        h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", { scope: "col", class: opts.num && opts.num.includes(i) ? "num" : null }, x)))),
        h("tbody", {}, rows.length === 0
          ? h("tr", {}, h("td", { colspan: headers.length }, t("none")))
          : rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { class: opts.num && opts.num.includes(i) ? "num" : null }, c)))))));
  }
  const badge = (text, kind) => h("span", { class: `badge ${kind}` }, text);
  const statusBadge = (st) => badge(t(`st_${st}`), st === "approved" ? "ok" : st === "submitted" || st === "pending" ? "warn" : st === "suspended" || st === "rejected" ? "bad" : "neutral");
  const when = (iso) => (iso ? new Date(iso).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB") : "");

  function say(message, isError) {
    const box = $("status");
    box.className = isError ? "status error" : "status";
    box.textContent = message;
  }

  // ---- The API --------------------------------------------------------------------------------
  let session = null;       // what GET /api/v1/session answered
  let idleDeadline = 0;     // ms since epoch: when the idle timeout ends the session
  let busy = 0;
  function setBusy(delta) {
    busy += delta;
    $("progress").hidden = busy <= 0;
    $("main").setAttribute("aria-busy", busy > 0 ? "true" : "false");
  }
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }
  /** fetch() of garde's API: JSON in and out, the CSRF token on changes, progress shown. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && session) headers["X-CSRF-Token"] = session.csrf;
    setBusy(1);
    let r;
    try {
      r = await fetch(path, { method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { error: t("network") });
    } finally {
      setBusy(-1);
    }
    let data = null;
    const type = r.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) data = await r.json();
    if (session && r.status !== 403) idleDeadline = Math.min(Date.now() + session.idle_timeout_seconds * 1000, session.absoluteDeadline);
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  }
  function fail(e) {
    if (e instanceof ApiError && e.status === 403) say(t("forbidden"), true);
    else say(t("error", e.message), true);
  }
  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const text = q.toString();
    return text ? `?${text}` : "";
  };

  // ---- Session ------------------------------------------------------------------------------
  const isAdmin = () => session && session.kind === "ministry_admin";
  const isReader = () => session && (session.kind === "ministry_admin" || session.kind === "auditor");
  const isManager = () => session && session.kind === "assignment_manager";

  async function loadSession() {
    try {
      const s = await fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
      const answer = s.ok ? await s.json() : null;
      if (!answer || !answer.signed_in) { session = null; return; }
      session = answer;
      session.absoluteDeadline = Date.parse(session.absolute_expires_at);
      idleDeadline = Math.min(Date.now() + session.idle_timeout_seconds * 1000, session.absoluteDeadline);
    } catch (e) {
      session = null;
    }
  }
  function tick() {
    const timer = $("session-timer");
    if (!session) { timer.textContent = ""; return; }
    const left = Math.max(0, Math.ceil((idleDeadline - Date.now()) / 60000));
    timer.textContent = t("sessionLeft", left);
    if (idleDeadline <= Date.now()) {
      session = null;
      say(t("sessionEnded"), true);
      chrome();
      location.hash = "#/connexion";
    }
  }
  async function signOut() {
    try {
      if (isManager()) await api("POST", "/admin/logout");
      else await api("POST", "/api/v1/admin/logout");
    } catch (e) { /* the cookie is cleared either way on the server's answer */ }
    session = null;
    chrome();
    location.hash = "#/connexion";
  }

  // ---- The frame: navigation, language, who ---------------------------------------------------
  const VIEWS = [
    { hash: "#/", key: "home", show: () => !!session },
    { hash: "#/contrats", key: "contracts", show: isReader },
    { hash: "#/plafonds", key: "ceilings", show: isReader },
    { hash: "#/expliquer", key: "explain", show: isReader },
    { hash: "#/journal", key: "audit", show: isReader },
    { hash: "#/federation", key: "federation", show: isReader },
    { hash: "#/affectations", key: "assignments", show: isManager },
    { hash: "#/usage", key: "usage", show: () => isReader() || isManager() },
  ];
  function chrome() {
    document.documentElement.lang = lang;
    $("skip").textContent = t("skip");
    $("nav").setAttribute("aria-label", t("nav"));
    $("progress").setAttribute("aria-label", t("loading"));
    $("lang").textContent = t("english");
    $("lang").setAttribute("lang", lang === "fr" ? "en" : "fr");
    $("logout").textContent = t("signout");
    $("logout").hidden = !session;
    $("foot-text").textContent = t("footer");
    const current = location.hash.split("/").slice(0, 2).join("/") || "#/";
    const nav = $("nav");
    nav.replaceChildren(session ? h("ul", {}, VIEWS.filter((v) => v.show()).map((v) =>
      h("li", {}, h("a", { href: v.hash, "aria-current": v.hash === current ? "page" : null }, t(v.key))))) : "");
    const role = session ? (session.kind === "ministry_admin" ? t("roleAdmin") : session.kind === "auditor" ? t("roleAuditor") : t("roleManager")) : "";
    $("session-who").textContent = session ? `${session.display} — ${role}` : "";
    tick();
  }

  function view(title, ...content) {
    const main = $("main");
    const heading = h("h1", { tabindex: "-1" }, title);
    main.replaceChildren(heading, ...content);
    document.title = `${title} — garde`;
    heading.focus();
  }

  // ---- Sign-in --------------------------------------------------------------------------------
  function signInView() {
    const user = h("input", { name: "username", autocomplete: "username", required: true });
    const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const totp = h("input", { name: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}" });
    const form = h("form", { id: "login-form", novalidate: true },
      field(t("username"), user).wrap, field(t("password"), pass).wrap, field(t("totp"), totp, t("totpHint")).wrap,
      h("div", { class: "actions" }, h("button", { type: "submit" }, t("signin"))));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { username: user.value, password: pass.value };
      if (totp.value) body.totp = totp.value;
      try {
        await api("POST", "/api/v1/admin/login", body);
        pass.value = "";
        await loadSession();
        say("");
        chrome();
        location.hash = "#/";
      } catch (e) {
        pass.value = "";
        if (e.status === 429) say(t("throttled", (e.body && e.body.retry_after_seconds) || 60), true);
        else if (e.status === 401) say(t("badLogin"), true);
        else fail(e);
        pass.focus();
      }
    });
    const ent = h("input", { name: "ent", value: localStorage.getItem("garde.ent") || "", required: true });
    const entForm = h("form", { id: "ent-form" }, field(t("entId"), ent).wrap,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, t("signinEntButton"))));
    entForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!ent.value) { ent.focus(); return; }
      localStorage.setItem("garde.ent", ent.value);
      location.assign(`/admin/login${query({ ent: ent.value })}`);
    });
    view(t("signinTitle"),
      h("section", { class: "card" }, h("h2", {}, t("signinLocal")), form),
      h("section", { class: "card" }, h("h2", {}, t("signinEnt")), entForm));
  }

  function homeView() {
    const cards = [];
    const card = (hash, key, text) => h("section", { class: "card" }, h("h2", {}, h("a", { href: hash }, t(key))), h("p", {}, text));
    if (isReader()) {
      cards.push(card("#/contrats", "contracts", t("homeContracts")), card("#/plafonds", "ceilings", t("homeCeilings")),
        card("#/expliquer", "explain", t("homeExplain")), card("#/journal", "audit", t("homeAudit")),
        card("#/federation", "federation", t("homeFederation")));
    }
    if (isManager()) cards.push(card("#/affectations", "assignments", t("homeAssignments")));
    cards.push(card("#/usage", "usage", t("homeUsage")));
    view(t("welcome", session.display), h("div", { class: "cards" }, cards));
  }

  // ---- Contracts ------------------------------------------------------------------------------
  async function contractsView(params) {
    const status = h("select", { id: "contract-status" }, ["submitted", "approved", "suspended", "rejected", "superseded", ""].map((st) =>
      h("option", { value: st, selected: (params.get("status") ?? "submitted") === st }, st ? t(`st_${st}`) : t("all"))));
    status.addEventListener("change", () => { location.hash = `#/contrats${query({ status: status.value || "all" })}`; });
    const list = h("div", {});
    view(t("contracts"), field(t("status"), status).wrap, list);
    const st = params.get("status") ?? "submitted";
    try {
      const data = await api("GET", `/api/v1/admin/contracts${query({ status: st === "all" ? "" : st })}`);
      list.replaceChildren(table(null, [t("contracts"), t("publisher"), t("revision"), t("status"), t("submittedAt"), t("flags")],
        data.contracts.map((c) => [h("a", { href: `#/contrats/${c.id}` }, t("contractTitle", c.id)), c.publisher, String(c.revision),
          statusBadge(c.status), when(c.submitted_at), String((c.flags || []).length)])));
    } catch (e) { fail(e); }
  }

  function reasonField(id) {
    const input = h("textarea", { id, name: "reason", required: true });
    return { ...field(t("reason"), input, t("reasonHint")), input };
  }

  async function contractView(id) {
    view(t("contractTitle", id), h("p", {}, h("a", { href: "#/contrats" }, t("back"))));
    let c;
    try { c = await api("GET", `/api/v1/admin/contracts/${encodeURIComponent(id)}`); } catch (e) { fail(e); return; }
    const main = $("main");
    main.append(
      table(null, [t("publisher"), t("revision"), t("status"), t("submittedBy"), t("submittedAt"), t("decidedBy")],
        [[`${c.publisher_name || ""} (${c.publisher})`, String(c.revision), statusBadge(c.status), c.submitted_by, when(c.submitted_at), c.decided_by ? `${c.decided_by} — ${c.decision_reason || ""}` : ""]]),
      h("h2", {}, t("problems")),
      (c.problems || []).length === 0 ? h("p", {}, t("noProblem"))
        : h("ul", { id: "contract-problems" }, c.problems.map((p) => h("li", {}, badge(p.severity, p.severity === "error" ? "bad" : "warn"), " ", h("code", {}, p.code), " ", p.field ? `${p.field} : ` : "", p.message))));
    for (const r of c.resources || []) {
      main.append(h("h2", {}, `${r.title} `, h("code", {}, r.id)), h("p", { class: "muted" }, `${t("category")} : ${r.category} — ${r.url}`),
        table(null, [t("profile"), t("attribute"), t("justification"), t("inCatalogue"), t("withinCeiling")],
          r.needs.map((n) => [n.profile, h("code", {}, n.attribute), n.justification,
            n.in_catalogue ? t("yes") : badge(t("no"), "bad"), n.within_ceiling ? t("yes") : badge(t("no"), "warn")])));
    }
    if (!isAdmin()) return;
    const impact = h("div", { id: "contract-impact" });
    const previewButton = h("button", { type: "button", id: "contract-preview", class: "secondary" }, t("preview"));
    const reason = reasonField("contract-reason");
    const approve = h("button", { type: "button", id: "contract-approve", disabled: true }, t("confirmApprove"));
    const hint = h("p", { class: "hint", id: "approve-hint" }, t("previewFirst"));
    approve.setAttribute("aria-describedby", "approve-hint");
    const decide = async (action) => {
      if (action !== "approve" && !reason.input.value.trim()) { reason.input.focus(); say(t("error", t("reason")), true); return; }
      try {
        await api("POST", `/api/v1/admin/contracts/${encodeURIComponent(id)}/${action}`, { reason: reason.input.value.trim() || "ok" });
        say(t("done"));
        route();
      } catch (e) { fail(e); }
    };
    previewButton.addEventListener("click", async () => {
      try {
        const p = await api("GET", `/api/v1/admin/contracts/${encodeURIComponent(id)}/preview`);
        impact.replaceChildren(h("h3", {}, t("impact")), table(null, [t("resource"), t("profile"), t("people"), t("establishments"), t("startFlowing"), t("stopFlowing")],
          p.impacts.map((i) => [h("code", {}, i.resource), i.profile, String(i.people), `${(i.establishments || []).join(", ")}${i.establishments_total > (i.establishments || []).length ? " …" : ""}`,
            h("span", { class: "diff-gained" }, (i.start_flowing || []).join(", ")), h("span", { class: "diff-lost" }, (i.stop_flowing || []).join(", "))]), { num: [2] }));
        approve.disabled = c.status !== "submitted";
        hint.textContent = "";
        approve.focus();
      } catch (e) { fail(e); }
    });
    approve.addEventListener("click", () => decide("approve"));
    const actions = [previewButton, approve];
    if (c.status === "submitted") actions.push(h("button", { type: "button", id: "contract-reject", class: "danger", onclick: () => decide("reject") }, t("reject")));
    if (c.status === "approved") actions.push(h("button", { type: "button", id: "contract-suspend", class: "danger", onclick: () => decide("suspend") }, t("suspend")));
    if (c.status === "suspended") actions.push(h("button", { type: "button", id: "contract-reinstate", onclick: () => decide("reinstate") }, t("reinstate")));
    main.append(h("h2", {}, t("status")), reason.wrap, hint, h("div", { class: "actions" }, actions), impact);
  }

  // ---- Ceilings -------------------------------------------------------------------------------
  const rowKey = (r) => `${r.profile}|${r.category}|${r.attribute}`;
  /** What a table gains and loses against another, per profile and category. */
  function diffRows(before, after) {
    const b = new Set(before.map(rowKey));
    const a = new Set(after.map(rowKey));
    const out = new Map();
    const note = (key, sign) => {
      const [profile, category, attribute] = key.split("|");
      const k = `${profile}|${category}`;
      if (!out.has(k)) out.set(k, { profile, category, gained: [], lost: [] });
      out.get(k)[sign].push(attribute);
    };
    for (const k of a) if (!b.has(k)) note(k, "gained");
    for (const k of b) if (!a.has(k)) note(k, "lost");
    return [...out.values()].sort((x, y) => `${x.profile}${x.category}`.localeCompare(`${y.profile}${y.category}`));
  }
  function diffTable(changes, caption) {
    return table(caption, [t("profile"), t("category"), t("gained"), t("lost")],
      changes.map((c) => [c.profile, c.category, h("span", { class: "diff-gained" }, c.gained.join(", ")), h("span", { class: "diff-lost" }, c.lost.join(", "))]));
  }

  async function ceilingsView() {
    view(t("ceilings"));
    const main = $("main");
    let inForce;
    let catalogue;
    let proposals;
    try {
      [inForce, catalogue, proposals] = await Promise.all([api("GET", "/api/v1/admin/ceilings"),
        api("GET", "/api/v1/admin/catalogue"), api("GET", "/api/v1/admin/ceilings/proposals")]);
    } catch (e) { fail(e); return; }
    main.append(h("p", {}, t("inForce", inForce.version)));
    const pending = (proposals.proposals || []).filter((p) => p.status === "pending");
    const proposalBox = h("section", { id: "ceiling-proposals" }, h("h2", {}, t("proposals")));
    if (pending.length === 0) proposalBox.append(h("p", {}, t("none")));
    for (const p of pending) {
      const impact = h("div", {});
      const reason = reasonField(`proposal-reason-${p.id}`);
      const own = p.proposed_by === session.id;
      const buttons = [h("button", { type: "button", class: "secondary", id: `proposal-preview-${p.id}`, onclick: async () => {
        try {
          const pv = await api("GET", `/api/v1/admin/ceilings/proposals/${p.id}/preview`);
          impact.replaceChildren(diffTable(pv.changes, t("diff")),
            table(t("impact"), [t("resource"), t("profile"), t("people"), t("startFlowing"), t("stopFlowing")],
              pv.impacts.map((i) => [h("code", {}, i.resource), i.profile, String(i.people), (i.start_flowing || []).join(", "), (i.stop_flowing || []).join(", ")]), { num: [2] }));
        } catch (e) { fail(e); }
      } }, t("preview"))];
      if (isAdmin() && !own) {
        buttons.push(h("button", { type: "button", id: `proposal-approve-${p.id}`, onclick: async () => {
          try { await api("POST", `/api/v1/admin/ceilings/proposals/${p.id}/approve`); say(t("done")); route(); } catch (e) { fail(e); }
        } }, t("approve")));
      }
      if (isAdmin()) {
        buttons.push(h("button", { type: "button", class: "danger", id: `proposal-reject-${p.id}`, onclick: async () => {
          if (!reason.input.value.trim()) { reason.input.focus(); return; }
          try { await api("POST", `/api/v1/admin/ceilings/proposals/${p.id}/reject`, { reason: reason.input.value.trim() }); say(t("done")); route(); } catch (e) { fail(e); }
        } }, t("reject")));
      }
      proposalBox.append(h("article", { class: "card", id: `proposal-${p.id}` },
        h("h3", {}, `n° ${p.id} — ${t("proposedBy")} ${p.proposed_by}, ${when(p.proposed_at)}`), h("p", {}, p.reason),
        own ? h("p", { class: "notice" }, t("ownProposal")) : null, isAdmin() ? reason.wrap : null, h("div", { class: "actions" }, buttons), impact));
    }
    main.append(proposalBox);

    // The table in force, as checkboxes per (profile, category): what an admin would propose.
    const profiles = [...new Set(catalogue.catalogue.flatMap((e) => e.profiles))].sort();
    const groups = new Map();  // "profile|category" -> Set(attribute)
    for (const r of inForce.ceilings) {
      const k = `${r.profile}|${r.category}`;
      if (!groups.has(k)) groups.set(k, new Set());
      groups.get(k).add(r.attribute);
    }
    const editor = h("form", { id: "ceilings-form" });
    const grid = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("ceilings") });
    // A table of attribute x (profile, category): a box per cell where the catalogue defines the
    // attribute for the profile, ticked when the ceiling lets it be released.
    const renderGrid = () => {
      const columns = [...groups.keys()].sort();
      const head = h("tr", {}, h("th", { scope: "col" }, t("attribute")), columns.map((k) => {
        const [profile, category] = k.split("|");
        return h("th", { scope: "col" }, profile.replace("National_", ""), h("br", {}), h("span", { class: "muted" }, category));
      }));
      const body = catalogue.catalogue.map((e) => h("tr", {}, h("th", { scope: "row" }, h("code", {}, e.code), " ", h("span", { class: "muted" }, e.meaning)),
        columns.map((k) => {
          const [profile, category] = k.split("|");
          if (!e.profiles.includes(profile)) return h("td", { class: "muted" }, "—");
          const box = h("input", { type: "checkbox", "data-profile": profile, "data-category": category, "data-attribute": e.code,
            "aria-label": `${profile} × ${category} : ${e.code}`, checked: groups.get(k).has(e.code) });
          box.addEventListener("change", () => { if (box.checked) groups.get(k).add(e.code); else groups.get(k).delete(e.code); renderDiff(); });
          return h("td", {}, box);
        })));
      grid.replaceChildren(h("table", { id: "ceilings-table", class: "matrix" }, h("caption", {}, t("ceilings")), h("thead", {}, head), h("tbody", {}, body)));
    };
    const currentRows = () => [...groups.entries()].flatMap(([k, set]) => {
      const [profile, category] = k.split("|");
      return [...set].map((attribute) => ({ profile, category, attribute }));
    });
    const diffBox = h("div", { id: "ceilings-diff", "aria-live": "polite" });
    const renderDiff = () => {
      const changes = diffRows(inForce.ceilings, currentRows());
      diffBox.replaceChildren(changes.length ? diffTable(changes, t("diff")) : h("p", {}, t("noChange")));
    };
    const newProfile = h("select", {}, profiles.map((p) => h("option", { value: p }, p)));
    const newCategory = h("input", { placeholder: "outil" });
    const addButton = h("button", { type: "button", class: "secondary", onclick: () => {
      const cat = newCategory.value.trim();
      if (!cat) { newCategory.focus(); return; }
      const k = `${newProfile.value}|${cat}`;
      if (!groups.has(k)) groups.set(k, new Set());
      renderGrid();
      renderDiff();
    } }, t("addCategory"));
    const reason = reasonField("ceilings-reason");
    editor.append(h("h2", {}, t("edit")), grid,
      h("div", { class: "row" }, field(t("profile"), newProfile).wrap, field(t("categoryName"), newCategory).wrap, h("div", {}, addButton)),
      diffBox, reason.wrap, h("div", { class: "actions" }, h("button", { type: "submit", id: "ceilings-submit", disabled: !isAdmin() }, t("propose"))));
    editor.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!reason.input.value.trim()) { reason.input.focus(); say(t("error", t("reason")), true); return; }
      try {
        const r = await api("POST", "/api/v1/admin/ceilings", { reason: reason.input.value.trim(), ceilings: currentRows() });
        say(r.applied ? t("applied", r.version) : t("proposed", r.proposal));
        route();
      } catch (e) { fail(e); }
    });
    renderGrid();
    renderDiff();
    main.append(editor);
  }

  // ---- Explain --------------------------------------------------------------------------------
  function explainView() {
    const resource = h("input", { id: "explain-resource", name: "resource", required: true, placeholder: "ark:/..." });
    const byProfile = h("input", { type: "radio", name: "mode", id: "mode-profile", value: "profile", checked: true });
    const byPerson = h("input", { type: "radio", name: "mode", id: "mode-person", value: "person" });
    const profile = h("select", { id: "explain-profile" }, ["National_elv", "National_ens", "National_doc", "National_dir", "National_evs", "National_eta", "National_col"].map((p) => h("option", { value: p }, p)));
    const ent = h("input", { id: "explain-ent", value: localStorage.getItem("garde.ent") || "" });
    const person = h("input", { id: "explain-person" });
    const uai = h("input", { id: "explain-uai" });
    const profileBox = h("div", {}, field(t("profile"), profile).wrap);
    const personBox = h("div", { class: "row", hidden: true }, field(t("entIdShort"), ent).wrap, field(t("personId"), person).wrap, field(t("uai"), uai).wrap);
    const sync = () => { profileBox.hidden = !byProfile.checked; personBox.hidden = byProfile.checked; };
    byProfile.addEventListener("change", sync);
    byPerson.addEventListener("change", sync);
    const out = h("div", { id: "explain-result", "aria-live": "polite" });
    const form = h("form", { id: "explain-form" }, field(t("resource"), resource).wrap,
      h("fieldset", {}, h("legend", {}, t("mode")), h("label", { for: "mode-profile" }, byProfile, " ", t("byProfile")), h("label", { for: "mode-person" }, byPerson, " ", t("byPerson"))),
      profileBox, personBox, h("div", { class: "actions" }, h("button", { type: "submit" }, t("run"))), out);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const params = byProfile.checked ? { resource: resource.value, profile: profile.value }
        : { resource: resource.value, ent: ent.value, person: person.value, uai: uai.value };
      try {
        const e = await api("GET", `/api/v1/admin/explain${query(params)}`);
        const facts = [[t("contractStatus"), e.contract_status || ""], [t("profile"), e.profile || ""]];
        if (e.entitled !== undefined) facts.push([t("entitled"), e.entitled ? t("yes") : `${t("no")} — ${ruleText(e.refusal || "")}`]);
        out.replaceChildren(table(null, ["", ""], facts),
          table(t("released"), [t("attribute"), t("justification")], e.released.map((r) => [h("code", {}, r.attribute), r.justification])),
          table(t("withheld"), [t("attribute"), t("rule")], e.withheld.map((w) => [h("code", {}, w.attribute), ruleText(w.rule)])));
      } catch (err) { fail(err); }
    });
    view(t("explainTitle"), form);
  }

  // ---- Audit ----------------------------------------------------------------------------------
  const AUDIT_FILTERS = ["kind", "publisher", "resource", "attribute", "uai", "profile", "outcome", "reason", "actor", "from", "until"];
  async function auditView(params) {
    const inputs = {};
    const make = (name) => {
      if (name === "kind") return h("select", { id: "audit-kind" }, ["", "launch", "admin"].map((k) => h("option", { value: k, selected: params.get(name) === k }, k ? t(`kind_${k}`) : t("all"))));
      if (name === "outcome") return h("select", { id: "audit-outcome" }, ["", "released", "refused", "done", "failed"].map((k) => h("option", { value: k, selected: params.get(name) === k }, k ? t(`oc_${k}`) : t("all"))));
      return h("input", { id: `audit-${name}`, type: name === "from" || name === "until" ? "date" : "text", value: params.get(name) || "" });
    };
    const form = h("form", { id: "audit-form" }, h("div", { class: "row" }, AUDIT_FILTERS.map((n) => {
      inputs[n] = make(n);
      return field(t(n === "uai" ? "establishment" : n), inputs[n]).wrap;
    })), h("div", { class: "actions" }, h("button", { type: "submit" }, t("search"))));
    const filters = () => Object.fromEntries(AUDIT_FILTERS.map((n) => [n, inputs[n].value]));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); location.hash = `#/journal${query(filters())}`; });
    const results = h("div", { id: "audit-results" });
    const subjectEnt = h("input", { id: "subject-ent", value: localStorage.getItem("garde.ent") || "" });
    const subjectPerson = h("input", { id: "subject-person" });
    const subjectLink = h("p", {});
    const subjectForm = h("form", { id: "subject-form" }, h("div", { class: "row" }, field(t("entIdShort"), subjectEnt).wrap, field(t("personId"), subjectPerson).wrap),
      h("div", { class: "actions" }, h("button", { type: "submit" }, t("download"))), subjectLink);
    subjectForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!subjectEnt.value || !subjectPerson.value) return;
      // A download through the browser's own request: the attachment saves as a file.
      const a = h("a", { href: `/api/v1/admin/audit/subject${query({ ent: subjectEnt.value, person: subjectPerson.value })}`, download: "", id: "subject-download" }, t("download"));
      subjectLink.replaceChildren(a);
      a.click();
    });
    view(t("auditTitle"), form, results, h("h2", {}, t("subjectTitle")), h("p", { class: "hint" }, t("subjectHint")), subjectForm);
    if (![...params.keys()].length) return;
    const q = Object.fromEntries([...params.entries()].filter(([k]) => AUDIT_FILTERS.includes(k) || k === "after"));
    q.limit = 50;
    try {
      const data = await api("GET", `/api/v1/admin/audit${query(q)}`);
      const csv = { ...q, format: "csv", limit: 1000 };
      delete csv.after;
      const rows = data.records.map((r) => [when(r.at), t(`kind_${r.kind}`), r.publisher || "", r.resource ? h("code", {}, r.resource) : "", r.uai || "", r.profile || "",
        (r.released || []).join(" "), t(`oc_${r.outcome}`), r.reason || "", r.actor || ""]);
      const nav = [];
      if (params.get("after")) nav.push(h("a", { href: `#/journal${query({ ...q, after: undefined, limit: undefined })}` }, t("first")));
      if (data.next_after) nav.push(h("a", { href: `#/journal${query({ ...q, limit: undefined, after: data.next_after })}`, id: "audit-next" }, t("next")));
      results.replaceChildren(table(null, [t("at"), t("kind"), t("publisher"), t("resource"), t("establishment"), t("profile"), t("released"), t("outcome"), t("reason"), t("actor")], rows),
        h("div", { class: "actions" }, nav, h("a", { href: `/api/v1/admin/audit${query(csv)}`, download: "audit.csv", id: "audit-csv" }, t("exportCsv"))));
    } catch (e) { fail(e); }
  }

  // ---- Assignments (establishment managers) ---------------------------------------------------
  async function assignmentsView(params) {
    const uais = session.establishments || [];
    const uai = params.get("uai") || uais[0];
    const pick = h("select", { id: "assign-uai" }, uais.map((u) => h("option", { value: u, selected: u === uai }, u)));
    pick.addEventListener("change", () => { location.hash = `#/affectations${query({ uai: pick.value })}`; });
    view(t("assignTitle"), field(t("establishment"), pick).wrap);
    if (!uai) return;
    const main = $("main");
    const base = `/api/v1/establishment/${encodeURIComponent(uai)}`;
    let subs;
    let assigned;
    try { [subs, assigned] = await Promise.all([api("GET", `${base}/subscriptions`), api("GET", `${base}/assignments`)]); } catch (e) { fail(e); return; }
    const licences = (l) => {
      if (!l) return "";
      if (l.unlimited) return t("unlimited");
      return `${l.used ?? ""} ${t("used")} / ${l.left ?? ""} ${t("left")}`;
    };
    main.append(h("h2", {}, t("subscriptions")), table(null, [t("subscription"), t("label"), t("type"), t("validity"), t("licences")],
      subs.subscriptions.map((s2) => [h("code", {}, s2.id), s2.label || s2.resource, s2.type, `${s2.valid_from} → ${s2.valid_until}`, licencesText(s2.licences)])));
    const sub = h("select", { id: "assign-subscription" }, subs.subscriptions.map((s2) => h("option", { value: s2.id }, `${s2.label || s2.resource} (${s2.id})`)));
    const kind = h("select", { id: "assign-kind" }, [["class", "kindClass"], ["group", "kindGroup"], ["person", "kindPerson"], ["establishment", "kindEstablishment"]].map(([v, k]) => h("option", { value: v }, t(k))));
    const target = h("input", { id: "assign-target" });
    const search = h("input", { id: "assign-search", type: "search" });
    const found = h("ul", { id: "assign-found", "aria-live": "polite" });
    search.addEventListener("input", debounce(async () => {
      if (search.value.length < 1) { found.replaceChildren(); return; }
      try {
        const d = await api("GET", `${base}/directory${query({ q: search.value })}`);
        found.replaceChildren(...d.entries.slice(0, 20).map((e) => h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => {
          kind.value = e.kind === "person" ? "person" : e.kind === "group" ? "group" : "class";
          target.value = e.id;
          target.focus();
        } }, `${e.label} (${e.kind}${e.profile ? `, ${e.profile}` : ""})`))));
      } catch (err) { fail(err); }
    }, 250));
    const form = h("form", { id: "assign-form" }, h("h2", {}, t("assign")),
      h("div", { class: "row" }, field(t("subscription"), sub).wrap, field(t("kind"), kind).wrap, field(t("target"), target).wrap),
      field(t("searchDirectory"), search).wrap, found,
      h("div", { class: "actions" }, h("button", { type: "submit" }, t("assign"))));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { subscription: sub.value, kind: kind.value };
      if (kind.value !== "establishment") body.target = target.value;
      try { await api("POST", `${base}/assignments`, body); say(t("assigned")); route(); } catch (e) { fail(e); }
    });
    main.append(form, h("h2", {}, t("assignments")), table(null, [t("subscription"), t("kind"), t("target"), t("assignedBy"), ""],
      assigned.assignments.map((a) => [h("code", {}, a.subscription), a.kind, a.target || "", a.assigned_by,
        h("button", { type: "button", class: "secondary", "aria-label": `${t("remove")} ${a.subscription} ${a.target || ""}`, onclick: async () => {
          try { await api("DELETE", `${base}/assignments/${a.id}`); say(t("removed")); route(); } catch (e) { fail(e); }
        } }, t("remove"))])));
    function licencesText(l) {
      if (!l) return "";
      if (l.left && typeof l.left === "object") {
        return Object.entries(l.left).map(([aud, n]) => `${aud} : ${(l.used && l.used[aud]) || 0} ${t("used")}, ${n === null ? t("unlimited") : `${n} ${t("left")}`}`).join(" ; ");
      }
      return licences(l);
    }
  }
  function debounce(fn, ms) {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  // ---- Usage ----------------------------------------------------------------------------------
  const PALETTE = ["#1d4e89", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0e7490", "#be123c", "#4d7c0f"];
  const dayString = (d) => d.toISOString().slice(0, 10);

  /** Bars of `series` (name -> Map(x -> n)) over `xs`, stacked; with its legend and table. */
  function stackedBars(title, xs, series, id) {
    const names = [...series.keys()];
    const totals = xs.map((x) => names.reduce((n, s2) => n + (series.get(s2).get(x) || 0), 0));
    const max = Math.max(1, ...totals);
    const W = 720, H = 240, left = 40, bottom = 40, top = 10;
    const bw = (W - left - 10) / Math.max(1, xs.length);
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title} : ${totals.reduce((a, b) => a + b, 0)}` });
    for (let g = 0; g <= 4; g++) {
      const y = top + (H - top - bottom) * (1 - g / 4);
      svg.append(s("line", { x1: left, x2: W - 10, y1: y, y2: y, stroke: "#c9d1da" }), s("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, Math.round((max * g) / 4)));
    }
    xs.forEach((x, i) => {
      let y = H - bottom;
      names.forEach((name, k) => {
        const n = series.get(name).get(x) || 0;
        if (!n) return;
        const bh = ((H - top - bottom) * n) / max;
        y -= bh;
        svg.append(s("rect", { x: left + i * bw + 1, y, width: Math.max(1, bw - 2), height: bh, fill: PALETTE[k % PALETTE.length] }, s("title", {}, `${x} — ${name} : ${n}`)));
      });
      if (xs.length <= 14 || i % Math.ceil(xs.length / 10) === 0) {
        svg.append(s("text", { x: left + i * bw + bw / 2, y: H - bottom + 16, "text-anchor": "middle" }, x.length === 10 ? x.slice(5) : x.slice(0, 12)));
      }
    });
    return h("figure", { class: "chart", id }, h("figcaption", {}, h("h3", {}, title)), svg,
      h("ul", { class: "legend" }, names.map((name, k) => h("li", {}, h("span", { class: "swatch", style: null, "data-color": PALETTE[k % PALETTE.length] }), name))),
      h("details", {}, h("summary", {}, t("dataTable")), table(null, [t("day"), ...names, t("count")],
        xs.map((x, i) => [x, ...names.map((n) => String(series.get(n).get(x) || 0)), String(totals[i])]), { num: names.map((_, i) => i + 1).concat([names.length + 1]) })));
  }
  /** Horizontal bars of `counts` (label -> n), largest first. */
  function bars(title, counts, id) {
    const entries = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    const max = Math.max(1, ...entries.map((e) => e[1]));
    const W = 720, row = 26, left = 220;
    const svg = s("svg", { viewBox: `0 0 ${W} ${Math.max(row, entries.length * row) + 10}`, role: "img", "aria-label": title });
    entries.forEach(([label, n], i) => {
      const w = ((W - left - 60) * n) / max;
      svg.append(s("text", { x: left - 8, y: i * row + 18, "text-anchor": "end" }, label.length > 32 ? `${label.slice(0, 31)}…` : label),
        s("rect", { x: left, y: i * row + 5, width: Math.max(1, w), height: row - 8, fill: PALETTE[0] }, s("title", {}, `${label} : ${n}`)),
        s("text", { x: left + w + 6, y: i * row + 18 }, n));
    });
    return h("figure", { class: "chart", id }, h("figcaption", {}, h("h3", {}, title)), entries.length ? svg : h("p", {}, t("noData")),
      h("details", {}, h("summary", {}, t("dataTable")), table(null, [title, t("count")], entries.map(([l, n]) => [l, String(n)]), { num: [1] })));
  }

  async function usageView(params) {
    const days = Number(params.get("days") || 28);
    const period = h("select", { id: "usage-period" }, [[7, "days7"], [28, "days28"], [90, "days90"]].map(([d, k]) => h("option", { value: d, selected: d === days }, t(k))));
    const uais = isManager() ? session.establishments || [] : [];
    const uaiPick = isManager() ? h("select", { id: "usage-uai" }, uais.map((u) => h("option", { value: u, selected: u === params.get("uai") }, u))) : null;
    const apply = () => { location.hash = `#/usage${query({ days: period.value, uai: uaiPick ? uaiPick.value : undefined })}`; };
    period.addEventListener("change", apply);
    if (uaiPick) uaiPick.addEventListener("change", apply);
    const charts = h("div", { id: "usage-charts" });
    const csvLink = h("a", { id: "usage-csv" }, t("exportCsv"));
    view(t("usageTitle"), h("div", { class: "row" }, field(t("period"), period).wrap, uaiPick ? field(t("establishment"), uaiPick).wrap : null), charts, h("p", {}, csvLink));
    const until = new Date();
    const from = new Date(until.getTime() - (days - 1) * 86400000);
    const range = { from: dayString(from), until: dayString(until) };
    const uai = uaiPick ? uaiPick.value : undefined;
    const path = isManager() ? `/api/v1/establishment/${encodeURIComponent(uai || "")}/usage` : "/api/v1/admin/usage";
    csvLink.href = `${path}${query({ ...range, format: "csv" })}`;
    csvLink.setAttribute("download", "usage.csv");
    let data;
    try { data = await api("GET", `${path}${query(range)}`); } catch (e) { fail(e); return; }
    const xs = [];
    for (let d = new Date(from); dayString(d) <= range.until; d = new Date(d.getTime() + 86400000)) xs.push(dayString(d));
    const perDay = new Map();
    const sum = (map, key, n) => map.set(key, (map.get(key) || 0) + n);
    const perResource = new Map();
    const perProfile = new Map();
    const perUai = new Map();
    const refusals = new Map();
    for (const r of data.launches) {
      if (r.outcome === "released") {
        if (!perDay.has(r.publisher)) perDay.set(r.publisher, new Map());
        sum(perDay.get(r.publisher), r.day, r.launches);
        sum(perResource, r.resource, r.launches);
        sum(perProfile, r.profile || "?", r.launches);
        sum(perUai, r.uai || "?", r.launches);
      } else {
        sum(refusals, r.reason || "?", r.launches);
      }
    }
    // Per publisher, the attributes released each day (one stacked series per attribute).
    const perPublisherAttribute = new Map();
    for (const a of data.attributes) {
      if (!perPublisherAttribute.has(a.publisher)) perPublisherAttribute.set(a.publisher, new Map());
      const series = perPublisherAttribute.get(a.publisher);
      if (!series.has(a.attribute)) series.set(a.attribute, new Map());
      sum(series.get(a.attribute), a.day, a.releases);
    }
    if (!data.launches.length) { charts.replaceChildren(h("p", {}, t("noData"))); return; }
    charts.replaceChildren(stackedBars(t("perDay"), xs, perDay, "chart-per-day"), bars(t("perResource"), perResource, "chart-per-resource"),
      bars(t("perProfile"), perProfile, "chart-per-profile"), bars(t("perUai"), perUai, "chart-per-uai"),
      bars(t("refusals"), refusals, "chart-refusals"),
      ...[...perPublisherAttribute.entries()].sort().map(([publisher, series], i) =>
        stackedBars(`${t("attributes")} — ${publisher}`, xs, series, `chart-attributes-${i}`)));
    // Colours set through the DOM, not a style attribute in markup (CSP style-src 'self').
    for (const sw of charts.querySelectorAll(".swatch[data-color]")) sw.style.background = sw.dataset.color;
  }

  // ---- Federation: metadata sources and algorithm exceptions ----------------------------------
  async function federationView() {
    const when = (v, none = t("never")) => (v ? v.replace("T", " ").replace("Z", " UTC") : none);
    const badge = (cls, text) => h("span", { class: `badge ${cls}` }, text);
    view(t("federationTitle"), h("p", {}, t("loading")));
    let m;
    try { m = await api("GET", "/api/v1/admin/metadata"); } catch (e) { fail(e); return; }
    const exceptions = h("section", { id: "federation-exceptions" }, h("h2", {}, t("exceptions")),
      m.algorithm_exceptions.length === 0 ? h("p", {}, t("noException"))
        : table(null, [t("peer"), t("algorithm"), t("reason"), t("expires"), t("grantedBy"), t("state")],
          m.algorithm_exceptions.map((e) => [`${t(`peer_${e.kind}`)} ${e.peer}`, h("code", {}, e.algorithm), e.reason,
            when(e.expires), e.granted_by, e.expired ? badge("bad", t("expiredRefused")) : badge("warn", t("granted"))])));
    const sources = h("section", { id: "federation-sources" }, h("h2", {}, t("sources")),
      m.sources.length === 0 ? h("p", {}, t("noSource")) : m.sources.map((src) => h("div", { class: "card" },
        h("h3", {}, src.source, " ", src.up ? badge("ok", t("up")) : badge("bad", t("down")),
          src.expiring ? [" ", badge("warn", t("expiring"))] : null),
        table(null, ["", ""], [[t("kind"), src.kind], [t("url"), h("code", {}, src.url)], [t("lastSuccess"), when(src.last_success)],
          [t("validUntil"), when(src.valid_until, "—")], [t("failures"), String(src.failures)]]),
        src.copies.some((c) => c.last_error) ? table(t("lastError"), [t("source"), t("failures"), t("lastError")],
          src.copies.filter((c) => c.last_error).map((c) => [c.entity || src.source, String(c.failures), c.last_error])) : null,
        table(t("peer"), [t("peer"), "entityID", t("state"), t("keys")], src.peers.map((p) => [`${t(`peer_${p.kind}`)} ${p.id}`,
          h("code", {}, p.entity_id), p.problem ? badge("bad", t("notServed", p.problem)) : badge("ok", t("served")),
          p.keys.map((k) => h("div", {}, `${k.use} `, h("code", {}, `${k.sha256.slice(0, 16)}…`), ` → ${when(k.not_after)}`))])))));
    view(t("federationTitle"), exceptions, sources);
  }

  // ---- Routing --------------------------------------------------------------------------------
  async function route() {
    const [path, q] = (location.hash || "#/").split("?");
    const params = new URLSearchParams(q || "");
    chrome();
    if (!session) {
      if (path !== "#/connexion") { location.hash = "#/connexion"; return; }
      signInView();
      return;
    }
    const parts = path.split("/");
    switch (parts[1]) {
      case "connexion": location.hash = "#/"; return;
      case "contrats": return parts[2] ? contractView(decodeURIComponent(parts[2])) : contractsView(params);
      case "plafonds": return ceilingsView();
      case "expliquer": return explainView();
      case "journal": return auditView(params);
      case "federation": return federationView();
      case "affectations": return assignmentsView(params);
      case "usage": return usageView(params);
      default: return homeView();
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("lang").addEventListener("click", () => {
      lang = lang === "fr" ? "en" : "fr";
      localStorage.setItem("garde.lang", lang);
      route();
    });
    $("logout").addEventListener("click", signOut);
    await loadSession();
    window.addEventListener("hashchange", () => { say(""); route(); });
    setInterval(tick, 15000);
    route();
  });
})();
