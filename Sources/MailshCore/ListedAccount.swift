import Foundation

/// The columns of a stored account that `account list` reads for its table and CSV, in the order the store selects
/// them (``ListingRow`` positions): what its cells show (name, owner, protocol, servers, last test, padlocks), what
/// the completeness rule looks at (``Account/visitRequiredFields(direction:proto:incomingAuth:outgoingAuth:oauthProvider:oauthFlow:_:)``)
/// but for the OAuth client's (``ListedAccountOAuthColumn``, read only for an account that uses OAuth 2.0). The store
/// names the column of each (`AccountRow`).
public enum ListedAccountColumn: Int, CaseIterable, Sendable {
    case name, owner, proto, direction
    case incomingHost, incomingPort, incomingSecurity, incomingUser, incomingPassword, incomingFolder, incomingAuth
    case outgoingHost, outgoingPort, outgoingSecurity, outgoingUser, outgoingPassword, outgoingFrom, outgoingAuth
    /// The padlocks as one integer, bit `n` for `Section.allCases[n]` (closed where set).
    case padlocks
    case lastTestVerdict, lastTestAt, lastTestMilliseconds
}

/// The columns `account list` reads of an account that uses OAuth 2.0 (few do), besides ``ListedAccountColumn``'s:
/// the OAuth client's, which the completeness rule looks at only then, and the id its sign-in state is found by.
public enum ListedAccountOAuthColumn: Int, CaseIterable, Sendable {
    case id, oauthProvider, oauthClientID, oauthTokenURL, oauthClientSecret, oauthFlow
}

/// One account as `account list` reads it for a table or CSV: the row of ``ListedAccountColumn``s, read in place
/// (no ``Account`` made per row, no `String` per column). What decides a field's value is the store's row, read as
/// ``Account`` reads its columns; the rules (completeness, OAuth, test names, padlock summaries) are Account's.
public struct ListedAccount {
    /// The ``ListedAccountColumn``s as the store read them.
    public let row: ListingRow
    /// The ``ListedAccountOAuthColumn``s, read for an account that uses OAuth 2.0 only.
    public let oauthRow: ListingRow?
    // The named and numbered values the cells and the completeness rule use, read once per row.
    public let proto: MailProtocol
    public let direction: Direction
    public let incomingAuth: AuthMethod
    public let outgoingAuth: AuthMethod
    /// The OAuth provider (`nil` when unset, or when the account does not use OAuth 2.0).
    public let oauthProvider: OAuthProvider?
    /// The OAuth flow (`nil` when the account does not use OAuth 2.0: the rule does not look at it then).
    public let oauthFlow: OAuthFlow?
    public let incomingSecurity: SecurityMode
    public let outgoingSecurity: SecurityMode
    public let incomingPort: Int
    public let outgoingPort: Int
    /// The closed padlocks, bit `n` for `Section.allCases[n]`.
    public let locks: Int

    /// Reads the named values of `row` (refused, naming the account, when one is not one of its names); for an
    /// account that uses OAuth 2.0, `oauth` reads its ``ListedAccountOAuthColumn``s (by its name and owner).
    public init(_ row: ListingRow, oauth: (_ name: String, _ owner: String?) throws -> ListingRow?) throws {
        self.row = row
        func unexpected(_ column: any Sendable) -> MailshError {
            let name = Account.qualifiedName(row.text(ListedAccountColumn.name.rawValue) ?? "?",
                                             owner: row.text(ListedAccountColumn.owner.rawValue))
            return MailshError.store("account \(name): column \(column) holds an unexpected value")
        }
        func named<E>(_ column: ListedAccountColumn, _ names: CaseNames<E>) throws -> E {
            guard let value = row.named(column.rawValue, in: names) else { throw unexpected(column) }
            return value
        }
        func integer(_ column: ListedAccountColumn) throws -> Int {
            guard let value = row.integer(column.rawValue) else { throw unexpected(column) }
            return value
        }
        incomingSecurity = try named(.incomingSecurity, Self.securityNames)
        outgoingSecurity = try named(.outgoingSecurity, Self.securityNames)
        incomingPort = try integer(.incomingPort)
        outgoingPort = try integer(.outgoingPort)
        proto = try named(.proto, Self.protocolNames)
        direction = try named(.direction, Self.directionNames)
        incomingAuth = try named(.incomingAuth, Self.authNames)
        outgoingAuth = try named(.outgoingAuth, Self.authNames)
        if Account.usesOAuth(incoming: incomingAuth, outgoing: outgoingAuth) {
            let name = row.text(ListedAccountColumn.name.rawValue) ?? "", owner = row.text(ListedAccountColumn.owner.rawValue)
            guard let oauthRow = try oauth(name, owner), oauthRow.count == ListedAccountOAuthColumn.allCases.count else {
                throw MailshError.store("account \(Account.qualifiedName(name, owner: owner)) changed while it was listed")
            }
            func oauthNamed<E: RawRepresentable & CaseIterable>(_ column: ListedAccountOAuthColumn, _: E.Type) throws -> E
                where E.RawValue == String {
                guard let value = oauthRow.named(column.rawValue, E.self) else { throw unexpected(column) }
                return value
            }
            self.oauthRow = oauthRow
            oauthProvider = oauthRow.isNull(ListedAccountOAuthColumn.oauthProvider.rawValue) ? nil
                : try oauthNamed(.oauthProvider, OAuthProvider.self)
            oauthFlow = try oauthNamed(.oauthFlow, OAuthFlow.self)
        } else {
            oauthRow = nil
            oauthProvider = nil
            oauthFlow = nil
        }
        locks = try integer(.padlocks)
    }

    // The names of the named columns' values, made once.
    private static let securityNames = CaseNames<SecurityMode>(), protocolNames = CaseNames<MailProtocol>()
    private static let directionNames = CaseNames<Direction>(), authNames = CaseNames<AuthMethod>()

    /// The account's id (for its sign-in state), read for an account that uses OAuth 2.0 only.
    public var id: String? { oauthRow?.text(ListedAccountOAuthColumn.id.rawValue) }

    /// ``Account/usesOAuth``.
    public var usesOAuth: Bool { Account.usesOAuth(incoming: incomingAuth, outgoing: outgoingAuth) }

    /// ``Account/isComplete``: the same rule, each required field's blankness read from its column (a text that is
    /// NULL or empty; a password or secret that is NULL; a port or security mode never).
    public var isComplete: Bool {
        // The flow is looked at only when the account uses OAuth 2.0, and then it is read.
        Account.visitRequiredFields(direction: direction, proto: proto, incomingAuth: incomingAuth,
                                    outgoingAuth: outgoingAuth, oauthProvider: oauthProvider,
                                    oauthFlow: oauthFlow ?? .delegated) {
            !isBlank($0)
        }
    }

    /// Whether `field` is blank as ``Account``'s `value(field)` counts it (unset or empty).
    private func isBlank(_ field: Field) -> Bool {
        func text(_ column: ListedAccountColumn) -> Bool { row.isBlankText(column.rawValue) }
        func set(_ column: ListedAccountColumn) -> Bool { !row.isNull(column.rawValue) }
        // Asked only when the account uses OAuth 2.0, whose OAuth columns are then read.
        func oauthText(_ column: ListedAccountOAuthColumn) -> Bool { oauthRow?.isBlankText(column.rawValue) ?? true }
        switch field {
        case .incomingHost: return text(.incomingHost)
        case .incomingUser: return text(.incomingUser)
        case .incomingFolder: return proto != .imap || text(.incomingFolder)
        case .outgoingHost: return text(.outgoingHost)
        case .outgoingUser: return text(.outgoingUser)
        case .outgoingFrom: return text(.outgoingFrom)
        case .oauthClientID: return oauthText(.oauthClientID)
        case .oauthTokenURL: return oauthText(.oauthTokenURL)
        // `(secret)` when set, whatever its bytes.
        case .incomingPassword: return !set(.incomingPassword)
        case .outgoingPassword: return !set(.outgoingPassword)
        case .oauthClientSecret: return oauthRow?.isNull(ListedAccountOAuthColumn.oauthClientSecret.rawValue) ?? true
        case .oauthProvider: return oauthProvider == nil
        // A number and a name: never empty.
        case .incomingPort, .outgoingPort, .incomingSecurity, .outgoingSecurity: return false
        default:
            preconditionFailure("account list reads no column for the required field \(field.name): add it to ListedAccountColumn")
        }
    }

    /// ``Account/isTestAccount`` of the account's name.
    public var isTestAccount: Bool {
        row.withBytes(ListedAccountColumn.name.rawValue) { bytes in
            Account.isTestName(bytes)
        }
    }

    /// ``Section/summary(lockedWhere:)`` of the closed padlocks.
    public var lockSummary: String { Section.summary(mask: locks) }
}
