// SMIMEStatus is RFC 9219 data and lives in JMAP; a client of the verifier,
// which returns it, sees it through SMIME as before.
@_exported import enum JMAP.SMIMEStatus
