// Loading keys and certificates the way users hold them: PEM, DER or PKCS#12,
// with the password given as openssl's -passin does.
import COpenSSLShim
import Foundation

public enum Password {
    /// Resolves `pass:X`, `env:VAR`, `file:PATH` (first line) or `fd:N` (first line).
    public static func resolve(_ spec: String) throws -> String {
        if spec.hasPrefix("pass:") { return String(spec.dropFirst(5)) }
        if spec.hasPrefix("env:") {
            let name = String(spec.dropFirst(4))
            guard let v = ProcessInfo.processInfo.environment[name] else {
                throw EngineError.invalidOption("--passin env:\(name): the environment variable \(name) is not set")
            }
            return v
        }
        if spec.hasPrefix("file:") {
            let path = String(spec.dropFirst(5))
            guard let data = FileManager.default.contents(atPath: path) else {
                throw EngineError.unreadable(path, "cannot read the password file")
            }
            return firstLine(data)
        }
        if spec.hasPrefix("fd:"), let fd = Int32(spec.dropFirst(3)) {
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            return firstLine(handle.readDataToEndOfFile())
        }
        throw EngineError.invalidOption("--passin takes pass:PASSWORD, env:VAR, file:PATH or fd:N, not '\(spec)'")
    }

    private static func firstLine(_ data: Data) -> String {
        let s = String(decoding: data, as: UTF8.self)
        return String(s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).first ?? "")
    }
}

public enum KeyLoader {
    /// Loads a private key and, if present, its certificate: from a PKCS#12 bundle, or from
    /// a PEM/DER key file plus an optional certificate file (PEM files may hold both).
    public static func identity(keyFile: URL, certificateFile: URL?, password: String?) throws -> (PrivateKey, Certificate?, [Certificate]) {
        let bytes = try InputFiles.read(keyFile)
        if let p12 = try pkcs12(bytes, path: keyFile.relativePath, password: password) {
            var cert = p12.1
            if let certificateFile { cert = try certificates(certificateFile).first }
            if let cert, !p12.0.matches(cert) { throw EngineError.keyMismatch(keyFile.relativePath) }
            return (p12.0, cert, p12.2)
        }
        let key = try privateKey(bytes, path: keyFile.relativePath, password: password)
        var cert: Certificate?
        if let certificateFile {
            cert = try certificates(certificateFile).first
        } else {
            cert = Certificate.parseAll(bytes).first
        }
        if let cert, !key.matches(cert) { throw EngineError.keyMismatch(keyFile.relativePath) }
        return (key, cert, [])
    }

    public static func certificates(_ url: URL) throws -> [Certificate] {
        try InputFiles.parseAll(url, Certificate.parseAll, none: EngineError.noCertificates)
    }

    static func privateKey(_ bytes: [UInt8], path: String, password: String?) throws -> PrivateKey {
        let pass = password ?? ""
        var sawEncrypted = false
        let pem: OpaquePointer? = withReadBIO(bytes) { bio in
            pass.withCString { p in
                PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: p))
            }
        } ?? nil
        if let pem { return PrivateKey(owning: pem) }
        let err = openSSLError()
        if err.contains("bad decrypt") || err.contains("maybe wrong password") { sawEncrypted = true }
        // PEM files may start with "Bag Attributes" (openssl pkcs12 writes them), so look past the first line.
        let head = String(decoding: bytes.prefix(1 << 16), as: UTF8.self)
        if head.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || head.contains("Proc-Type: 4,ENCRYPTED") { sawEncrypted = true }
        if !sawEncrypted {
            if let der = withReadBIO(bytes, { d2i_PrivateKey_bio($0, nil) }) ?? nil { return PrivateKey(owning: der) }
            ERR_clear_error()
            let p8: OpaquePointer? = withReadBIO(bytes) { bio in
                pass.withCString { p in d2i_PKCS8PrivateKey_bio(bio, nil, nil, UnsafeMutableRawPointer(mutating: p)) }
            } ?? nil
            if let p8 { return PrivateKey(owning: p8) }
            ERR_clear_error()
        }
        if sawEncrypted { throw password == nil ? EngineError.needsPassword(path) : EngineError.badPassword(path) }
        throw EngineError.badKey(path, "not a PEM, DER or PKCS#12 private key")
    }

    /// nil when the bytes are not PKCS#12 at all.
    static func pkcs12(_ bytes: [UInt8], path: String, password: String?) throws -> (PrivateKey, Certificate?, [Certificate])? {
        guard let p12 = withReadBIO(bytes, { d2i_PKCS12_bio($0, nil) }) ?? nil else {
            ERR_clear_error()
            return nil
        }
        defer { PKCS12_free(p12) }
        var pkey: OpaquePointer?
        var cert: OpaquePointer?
        var ca: OpaquePointer?
        let ok = (password ?? "").withCString { PKCS12_parse(p12, $0, &pkey, &cert, &ca) }
        ERR_clear_error()
        guard ok == 1, let pkey else {
            if let cert { X509_free(cert) }
            if let ca { smk_x509_stack_free_all(ca) }
            throw password == nil ? EngineError.needsPassword(path) : EngineError.badPassword(path)
        }
        let chain = CertificateStack.certificates(of: ca)
        if let ca { smk_x509_stack_free_all(ca) }
        return (PrivateKey(owning: pkey), cert.map { Certificate(owning: $0) }, chain)
    }
}
