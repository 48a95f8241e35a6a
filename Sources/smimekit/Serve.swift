// `smimekit serve`: the backend of `smimekit jmap` behind HTTP (RFC 8620 3.1),
// for JMAP clients. Options, the token file and the listen address here; the
// HTTP front is JMAPHTTP, the JMAP itself JMAPServer.
import ArgumentParser
import Foundation
import JMAPHTTP
import JMAPServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",  // explicit: the default is derived by reflection at every start-up
        abstract: "Serve JMAP (RFC 8620, 8621, 9219) over HTTP for the mail in the directories given.",
        discussion: """
            The same methods, verdicts and result cache as smimekit jmap, for JMAP clients: GET /.well-known/jmap gives the Session resource, whose apiUrl (/jmap/api), downloadUrl, uploadUrl and eventSourceUrl are absolute URLs made from the Host the client used (behind a proxy, X-Forwarded-Host and X-Forwarded-Proto).

            Every request needs "Authorization: Bearer TOKEN", TOKEN being the content of --token-file without its trailing newline; the file must not be readable by group or others (chmod 600). Others get 401. The server speaks plain HTTP and listens on loopback only: for other machines, put a TLS proxy in front (see the README) and give --allow-non-loopback if it must listen elsewhere.

            Limits (the core capability of the Session): requests over maxSizeRequest get the RFC 8620 "limit" problem (400) without being read whole, uploads over maxSizeUpload 413, and more than maxConcurrentRequests at once the limit problem too.

            Once listening, "smimekit: listening on http://HOST:PORT" goes to standard error (with --listen 127.0.0.1:0 the port is one the system picked). SIGTERM or SIGINT stops it gracefully: no new connections, requests in flight answered, event streams ended, the result cache closed.

            Examples:
              openssl rand -hex 32 > ~/.smimekit-token; chmod 600 ~/.smimekit-token
              smimekit serve --listen 127.0.0.1:8080 --token-file ~/.smimekit-token --trust ca.pem ~/Maildir
              curl -H "Authorization: Bearer $(cat ~/.smimekit-token)" http://127.0.0.1:8080/.well-known/jmap

            Exit status:
              0  stopped by SIGTERM or SIGINT
              2  trouble: a bad option, a token file that is open to others or empty, an address that cannot be bound
            """
    )

    @Option(help: ArgumentHelp("Address to listen on: HOST:PORT, [IPv6]:PORT; port 0 picks a free one.", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("File holding the bearer token (mode 600).", valueName: "file"), completion: .file())
    var tokenFile: String

    @Flag(help: "Allow an address other than loopback (the server speaks plain HTTP: put TLS in front).")
    var allowNonLoopback = false

    @OptionGroup var service: JMAPServiceOptions
    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let address: ListenAddress
        let token: String
        do {
            address = try ListenAddress(parsing: listen)
            token = try loadBearerToken(path: tokenFile)
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        weak let released = try await serve(address: address, token: token)
        // The result store is closed (and marked clean) when the backend is released:
        // wait for work still holding it (a verification a request started) to let go,
        // so that happens before exit. Normally at once; 30 s at the most.
        for _ in 0..<3_000 where released != nil { try? await Task.sleep(nanoseconds: 10_000_000) }
        StandardOutput.shared.flush()
    }

    /// Runs the server to its graceful end. Its own scope, so that the backend and
    /// its store are released (closed) before the command returns.
    /// Returns the backend, for the caller to see it released.
    private func serve(address: ListenAddress, token: String) async throws -> AnyObject {
        let backend = try service.makeBackend()
        let server: JMAPHTTPServer
        do {
            server = try JMAPHTTPServer(backend: backend, configuration: JMAPHTTPConfiguration(
                listen: address, token: token, allowNonLoopback: allowNonLoopback))
        } catch let error as ServeSetupError {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        for warning in server.warnings { Diagnostics.warning(warning) }

        let host = address.urlHost
        do {
            try await server.run(onListening: { port in
                FileHandle.standardError.write(Data("smimekit: listening on http://\(host):\(port)\n".utf8))
            })
        } catch {
            Diagnostics.error("listening on \(address): \(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        return backend as AnyObject
    }
}
