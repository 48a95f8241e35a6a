// Which anchors a run trusts, from the words every front end takes (the command
// line's --trust, --no-system-trust and --trust-source, a server's the same).
import Foundation

extension TrustConfiguration {
    /// `anchors` trusted besides the default ones, which come from `source`
    /// (nss-email when not given) unless `noSystemTrust` leaves them out.
    public static func choosing(anchors: [String], noSystemTrust: Bool, source: TrustSource?) -> TrustConfiguration {
        var config = TrustConfiguration()
        config.anchors = anchors.map { URL(fileURLWithPath: $0) }
        config.source = noSystemTrust ? .none : (source ?? .nssEmail)
        config.useSystemTrust = config.source != .none
        return config
    }

    /// Why leaving out the default anchors and naming a source of them is no choice, if it is not.
    public static func contradiction(noSystemTrust: Bool, source: TrustSource?) -> String? {
        guard noSystemTrust, let source, source != .none else { return nil }
        return "--no-system-trust and --trust-source \(source.rawValue) contradict each other; give one of them"
    }
}
