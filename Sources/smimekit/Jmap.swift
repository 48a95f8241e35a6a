// `smimekit jmap`: one JMAP Request (RFC 8620 3.3) in, its Response out, over
// the mail in the directories given; the same backend `smimekit serve` puts
// behind HTTP.
import ArgumentParser
import Foundation
import JMAPServer

struct Jmap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jmap",  // explicit: the default is derived by reflection at every start-up
        abstract: "Answer one JMAP request (RFC 8620, 8621, 9219) over mail directories: Request on standard input, Response on standard output.",
        discussion: """
            Each directory is a mailbox tree: a maildir with its Maildir++ folders, or a directory of message files with its subdirectories. Methods: Core/echo, Mailbox/get, Mailbox/query, Mailbox/changes, Email/get, Email/query, Email/queryChanges, Email/changes, Email/set (create, with smimeSign and smimeEncrypt of urn:ietf:params:jmap:smime-advanced), Email/import, Email/parse, Thread/get, SearchSnippet/get, Blob/get. The RFC 9219 properties (smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt) and filters (hasSmime, hasVerifiedSmime, hasVerifiedSmimeAtDelivery) need urn:ietf:params:jmap:smimeverify in "using". Ids, verdicts and the result cache are those of verify and query.

            The account is "local". Request-level errors (RFC 8620 3.6.1: notJSON, notRequest, unknownCapability, limit) are answered with a problem document; method-level ones inside the Response. Email/set writes a new message into its mailbox whole or not at all (a maildir's tmp/, then new/); messages are never changed or removed.

            Examples:
              smimekit jmap --trust ca.pem --request verified.json ~/Maildir
              smimekit jmap --key alice.p12 --passin env:P12PASS --request create.json ~/Maildir
              smimekit jmap --session ~/Maildir
              smimekit jmap --request echo.json ~/Maildir

            where verified.json asks for the verified messages and their status:
              {"using": ["urn:ietf:params:jmap:core",
                         "urn:ietf:params:jmap:mail",
                         "urn:ietf:params:jmap:smimeverify"],
               "methodCalls": [
                 ["Email/query", {"accountId": "local",
                                  "filter": {"hasVerifiedSmime": true}}, "q"],
                 ["Email/get", {"accountId": "local",
                                "#ids": {"resultOf": "q", "name": "Email/query",
                                         "path": "/ids"},
                                "properties": ["subject", "from",
                                               "smimeStatus", "smimeErrors"]},
                  "g"]]}

            and echo.json is:
              {"using": ["urn:ietf:params:jmap:core"],
               "methodCalls": [["Core/echo", {"hello": true}, "c0"]]}

            Exit status:
              0  a Response was written (method errors are inside it)
              2  a request-level error (its problem document is written on standard output), or trouble: a bad option, an unreadable request or key
            """
    )

    @Option(help: ArgumentHelp("Read the Request from this file instead of standard input.", valueName: "file"), completion: .file())
    var request: String?

    @Flag(help: "Print the Session object (RFC 8620 2) instead of answering a request.")
    var session = false

    @OptionGroup var service: JMAPServiceOptions
    @OptionGroup var config: ConfigOptions

    func run() throws {
        if !session && (request == nil || request == "-") && isatty(STDIN_FILENO) == 1 {
            throw ValidationError("no request: pipe a JMAP Request into standard input or give --request FILE")
        }
        let backend = try service.makeBackend()
        if session {
            let urls = SessionURLs(apiUrl: "stdin:", downloadUrl: "file:{accountId}/{blobId}/{name}?type={type}",
                                   uploadUrl: "file:{accountId}", eventSourceUrl: "")
            StandardOutput.shared.write(String(decoding: backend.sessionObject(urls: urls).serialized().utf8, as: UTF8.self) + "\n")
            StandardOutput.shared.flush()
            return
        }
        let body: [UInt8]
        do {
            body = try MessageFiles.read(request ?? "-")
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        let reply = backend.respond(body: body)
        StandardOutput.shared.write(bytes: reply.body + [0x0A])
        StandardOutput.shared.flush()
        if reply.status != 200 { throw ExitCode(ExitStatus.trouble) }
    }
}
