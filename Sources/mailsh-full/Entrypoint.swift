import MailshMetrics
import MailshPostgres
import MailshProgram

/// The full program: mailsh with PostgreSQL stores and `monitor --metrics`. It serves what `mailsh` hands over
/// (``ProgramChoice``): the shell, `store`, `monitor`, every PostgreSQL store.
@main
struct Entrypoint {
    static func main() {
        Program.run(ProgramParts(openPostgres: { location, create in try PostgresStore(url: location, create: create) },
                                 serveMetrics: { try PrometheusEndpoint($0) }))
    }
}
