---@meta mail
-- Type definitions of mailsh's Lua API for lua-language-server (completion, hover, type checks).
-- Add this folder to "workspace.library" in .luarc.json. The reference is docs/lua-api.md.

---@alias mail.Protocol "imap"|"pop3"
---@alias mail.Direction "both"|"incoming"|"outgoing"
---@alias mail.Security "none"|"ssl"|"starttls"
---@alias mail.Section "incoming.server"|"incoming.credentials"|"outgoing.server"|"outgoing.credentials"|"oauth"|"oauth.credentials"|"server"|"credentials"|"all"
---@alias mail.Right "administrate"|"override_locks"|"add_accounts"
---@alias mail.Origin "global"|"personal"|"locked global"
---@alias mail.Value string|number|false

---Fields to set, dotted (`["incoming.host"] = …`) or nested by section (`incoming = { host = … }`).
---`""` or `false` clears a field. Passwords are write-only.
---@class mail.Fields
---@field protocol? mail.Protocol
---@field direction? mail.Direction
---@field incoming? mail.IncomingFields
---@field outgoing? mail.OutgoingFields
---@field conversation? mail.ConversationFields
---@field ["incoming.host"]? mail.Value
---@field ["incoming.port"]? mail.Value
---@field ["incoming.security"]? mail.Security|false
---@field ["incoming.user"]? mail.Value
---@field ["incoming.password"]? string|false
---@field ["incoming.folder"]? mail.Value
---@field ["incoming.after"]? "read"|"move"|"delete"|false
---@field ["incoming.move_to"]? mail.Value
---@field ["incoming.read"]? "unseen"|"since-last"|false
---@field ["incoming.ca_file"]? mail.Value
---@field ["incoming.insecure"]? boolean|"true"|"false"
---@field ["incoming.allow_plaintext"]? boolean|"true"|"false"
---@field ["outgoing.host"]? mail.Value
---@field ["outgoing.port"]? mail.Value
---@field ["outgoing.security"]? mail.Security|false
---@field ["outgoing.user"]? mail.Value
---@field ["outgoing.password"]? string|false
---@field ["outgoing.from"]? mail.Value
---@field ["outgoing.display_name"]? mail.Value
---@field ["outgoing.reply_to"]? mail.Value
---@field ["conversation.prefix"]? mail.Value
---@field ["conversation.placement"]? "subject"|"body"|false
---@field ["conversation.quoted"]? "attach"|"hold"|false

---@class mail.IncomingFields
---@field host? mail.Value
---@field port? mail.Value
---@field security? mail.Security|false
---@field user? mail.Value
---@field password? string|false
---@field folder? mail.Value
---@field after? "read"|"move"|"delete"|false
---@field move_to? mail.Value
---@field read? "unseen"|"since-last"|false
---@field ca_file? mail.Value
---@field insecure? boolean|"true"|"false"
---@field allow_plaintext? boolean|"true"|"false"

---@class mail.OutgoingFields
---@field host? mail.Value
---@field port? mail.Value
---@field security? mail.Security|false
---@field user? mail.Value
---@field password? string|false
---@field from? mail.Value
---@field display_name? mail.Value
---@field reply_to? mail.Value
---@field ca_file? mail.Value
---@field insecure? boolean|"true"|"false"
---@field allow_plaintext? boolean|"true"|"false"

---@class mail.ConversationFields
---@field prefix? mail.Value
---@field placement? "subject"|"body"|false
---@field quoted? "attach"|"hold"|false

---@class mail.NewAccount: mail.Fields
---@field name string

---@class mail.Incoming
---@field host string?
---@field port integer
---@field security mail.Security
---@field user string?
---@field folder string? IMAP only
---@field after "read"|"move"|"delete"|nil IMAP only: what the monitor does with processed mail
---@field move_to string? IMAP only: where processed mail goes with after = "move"
---@field read "unseen"|"since-last"|nil IMAP only: which mail the monitor reads
---@field password_set boolean
---@field auth "password"|"oauth2"
---@field ca_file string? a PEM file of CA certificates to trust
---@field insecure boolean certificates not verified (a warning on every test)
---@field allow_plaintext boolean a password may cross an unencrypted connection

---@class mail.Outgoing
---@field host string?
---@field port integer
---@field security mail.Security
---@field user string?
---@field from string?
---@field display_name string?
---@field reply_to string?
---@field password_set boolean
---@field auth "password"|"oauth2"|"none"
---@field ca_file string?
---@field insecure boolean
---@field allow_plaintext boolean

---The OAuth 2.0 client (`oauth.*`); the secret only as `client_secret_set`. Tokens never reach a script.
---@class mail.OAuth
---@field provider "microsoft"|"google"|"generic"|nil
---@field tenant string?
---@field client_id string?
---@field client_secret_set boolean
---@field scopes string? space-separated; nil: the provider's defaults
---@field flow "delegated"|"app"
---@field mechanism "xoauth2"|"oauthbearer"|nil
---@field authority string?
---@field token_url string?
---@field device_url string?
---@field authorize_url string?
---@field revoke_url string?
---@field ca_file string?

---@class mail.Conversation
---@field prefix string?
---@field placement "subject"|"body"
---@field quoted "attach"|"hold" an ID only in quoted text from a non-participant: attached or held

---One field of effective settings: its value (never a password's) and where it came from.
---@class mail.EffectiveField
---@field value (string|integer)?
---@field set boolean? for passwords: whether one is set
---@field origin mail.Origin

---The last connection test of an account.
---@class mail.LastTest
---@field verdict string
---@field at string ISO 8601
---@field milliseconds integer
---@field user string

---Whether an account's OAuth tokens work (nil for an account that does not log in with OAuth).
---@class mail.SignIn
---@field state string
---@field origin "global"|"personal"|nil
---@field reason string?
---@field since string?
---@field expires_at string?

---An account: a snapshot of the stored account, refreshed by its own methods, with the shape of
---`account show --format json`'s `account`. Read-only; passwords are never readable. Reading a name the account
---does not have (`acct.hots`, `acct.incoming.hots`) is an error naming it. Dotted names read single values too:
---`acct["incoming.port"]`.
---@class mail.Account
---@field id string the identifier that survives renames
---@field name string
---@field owner string? nil for a global account
---@field protocol mail.Protocol
---@field direction mail.Direction both, or the one side the account has
---@field incoming mail.Incoming
---@field outgoing mail.Outgoing
---@field conversation mail.Conversation
---@field oauth mail.OAuth
---@field padlocks table<string, "locked"|"unlocked">
---@field version integer
---@field test_account boolean
---@field status "ready"|"draft"
---@field missing string[] required fields still blank
---@field warnings string[]
---@field last_test mail.LastTest?
---@field sign_in mail.SignIn?
---@field created_at string ISO 8601
---@field modified_at string ISO 8601
---@field modified_by string
local Account = {}

---Changes fields and passwords, all or none.
---@param fields mail.Fields
---@return mail.Account self
function Account:set(fields) end

---Copies the account (settings, padlocks, passwords) under a new name.
---@param new_name string
---@return mail.Account copy
function Account:copy(new_name) end

---Renames the account.
---@param new_name string
---@return mail.Account self
function Account:rename(new_name) end

---Closes padlocks.
---@param section mail.Section
---@param ... mail.Section
---@return mail.Account self
function Account:lock(section, ...) end

---Opens padlocks.
---@param section mail.Section
---@param ... mail.Section
---@return mail.Account self
function Account:unlock(section, ...) end

---Whether the section's padlock is closed (for a shorthand: all of its sections).
---@param section mail.Section
---@return boolean
function Account:is_locked(section) end

---Deletes the account; `keep_user_accounts` says what becomes of users' personal settings.
---@param options? { keep_user_accounts: boolean }
---@return mail.Account[] kept the users' own accounts made by keep_user_accounts = true
function Account:delete(options) end

---The settings a user works with, by dotted field name.
---@param user? string|mail.User default: the acting user
---@return table<string, mail.EffectiveField>
function Account:effective(user) end

---Reads the account again from the store.
---@return mail.Account self
function Account:reload() end

---Options of a connection test (as the flags of `mailsh account test`).
---@class mail.TestOptions
---@field incoming_only? boolean test only the incoming server
---@field outgoing_only? boolean test only the outgoing server
---@field no_send? boolean stop after the outgoing login: send no test e-mail
---@field round_trip? boolean also send a token to the account's own address and find it
---@field transcript? boolean keep the redacted protocol lines in the report
---@field timeout? number seconds per connection, 1 to 600 (default 20)

---Options of `mail.account.test_all`.
---@class mail.TestAllOptions: mail.TestOptions
---@field match? string a glob on the account name
---@field protocol? mail.Protocol
---@field concurrency? integer accounts tested at once, 1 to 256 (default 16)

---One step of a conversation with a server.
---@class mail.TestStage
---@field name string
---@field milliseconds number
---@field ok boolean
---@field detail? string
---@field reply? string

---The test of one server.
---@class mail.ServerReport
---@field side "incoming"|"outgoing"
---@field protocol "imap"|"pop3"|"smtp"
---@field host string
---@field port integer
---@field security string
---@field user string
---@field credentials "global"|"personal"
---@field verdict string
---@field message? string
---@field milliseconds number
---@field stages mail.TestStage[]
---@field banner? string
---@field capabilities string[]
---@field tls? table version, cipher, verified, verification, ca_file, chain
---@field auth? table mechanism, reply, ok
---@field folder? table folder, messages, unseen, uid_next, octets
---@field sent table[]
---@field warnings string[]
---@field transcript? table[]

---The report of a connection test (the shape of `account test --format json`, keys in snake_case).
---A not-tested account in `test_all` gives only `account`, `verdict = "not-tested"` and `message`.
---@class mail.TestReport
---@field account string
---@field user? string
---@field started_at? string
---@field milliseconds? number
---@field verdict "ok"|"cannot-connect"|"tls"|"certificate"|"auth"|"refused"|"timeout"|"protocol"|"not-tested"
---@field message? string
---@field incoming? mail.ServerReport
---@field outgoing? mail.ServerReport
---@field round_trip? table token, address, verdict, latency_milliseconds, searches, found, deleted, stages
---@field warnings? string[]

---Tests the account's servers for real and returns the report (raises if it can't be tested).
---@param options? mail.TestOptions
---@return mail.TestReport report
function Account:test(options) end

---A user of the store.
---@class mail.User
---@field name string
---@field email string?
---@field rights mail.Right[]
---@field created_at string ISO 8601
local User = {}

---Grants a right.
---@param right mail.Right
---@return mail.User self
function User:grant(right) end

---Revokes a right.
---@param right mail.Right
---@return mail.User self
function User:revoke(right) end

---Whether the user holds a right.
---@param right mail.Right
---@return boolean
function User:has(right) end

---Changes the user's e-mail address (false or "" clears it).
---@param fields { email: string|false }
---@return mail.User self
function User:set(fields) end

---@class mail
mail = {}

---The script's arguments.
---@type string[]
mail.args = {}

---The name of the user the script acts as.
---@type string
mail.as = ""

---The running script's path; nil for `mailsh lua`.
---@type string?
mail.script = nil

---Writes a line to the error stream, prefixed with the script's name.
---@param ... any
function mail.log(...) end

---The rows of a CSV file, as tables keyed by its header (or arrays, with header = false).
---@param path string
---@param options? { separator: string?, header: boolean? }
---@return table<string, string>[]
function mail.csv(path, options) end

---Calls fn in a nested unit that rolls back alone if it raises (the error goes on).
---@generic R
---@param fn fun(...): R
---@param ... any arguments for fn
---@return R ...
function mail.transaction(fn, ...) end

---JSON in the convention of `--format json` (docs/output.md).
mail.json = {}

---Writes a value as JSON text: tables with keys 1…n are arrays (an empty table is `[]`), other tables objects;
---accounts and users are their documents. Functions, cycles, NaN and infinities are errors.
---@param value any
---@param options? { pretty?: boolean }
---@return string
function mail.json.encode(value, options) end

---Reads JSON text: objects and arrays as tables, numbers as integers or floats, `null` as nil.
---@param text string
---@return any
function mail.json.decode(text) end

mail.account = {}

---Creates a global account.
---@param fields mail.NewAccount
---@return mail.Account
function mail.account.create(fields) end

---The account named NAME or OWNER/NAME, or nil.
---@param name string
---@return mail.Account?
function mail.account.get(name) end

---Accounts, sorted by name.
---@param options? { match: string?, protocol: mail.Protocol?, owner: string? }
---@return mail.Account[]
function mail.account.list(options) end

---Tests every global account (and the acting user's own), `concurrency` at once.
---@param options? mail.TestAllOptions
---@return mail.TestReport[] reports in name order; not-tested accounts as { account, verdict = "not-tested", message }
function mail.account.test_all(options) end

---Options of `mail.account.discover` (as the flags of `mailsh account discover`).
---@class mail.DiscoverOptions
---@field dns_server? string ask only this DNS server ("127.0.0.1:5353")
---@field ca_file? string a PEM file of CAs to trust besides the system's
---@field connect_to? string[] "HOST:PORT:ADDRESS:PORT" entries, as curl's --connect-to
---@field timeout? number seconds per network step (default 10)
---@field ispdb? string a local ISPDB folder
---@field verify? boolean verify every candidate by connecting
---@field guess? boolean guess common host names when nothing else answered (default true)

---What discovery found (the shape of `account discover --format json`).
---@class mail.DiscoveryReport
---@field address string
---@field domain string
---@field incoming table[] candidates, best first: side, proto, host, port, security, user, auth, source, via, verified
---@field outgoing table[]
---@field tried table[] every step: source, asked, outcome, detail

---Finds an address's incoming and outgoing servers, as `mailsh account discover` does; creates nothing.
---@param address string
---@param options? mail.DiscoverOptions
---@return mail.DiscoveryReport
function mail.account.discover(address, options) end

mail.user = {}

---Registers a user.
---@param fields { name: string, email: string?, rights: (mail.Right[]|string)? }
---@return mail.User
function mail.user.add(fields) end

---The user, or nil.
---@param name string
---@return mail.User?
function mail.user.get(name) end

---Every user, sorted by name.
---@return mail.User[]
function mail.user.list() end

mail.personal = {}

---Sets a user's own values for a global account, where its padlocks allow.
---@param user string|mail.User
---@param account string|mail.Account
---@param fields mail.Fields
---@return table<string, mail.EffectiveField> effective
function mail.personal.set(user, account, fields) end

---A user's own values for a global account, by dotted field name (`incoming.password_set` for a password).
---@param user string|mail.User
---@param account string|mail.Account
---@return table<string, string|boolean>
function mail.personal.get(user, account) end

---Removes a user's values of one section (or the sections a shorthand names), or all of them.
---@param user string|mail.User
---@param account string|mail.Account
---@param section? "incoming.server"|"incoming.credentials"|"outgoing.server"|"outgoing.credentials"|"server"|"credentials"|"all"
---@return table<string, mail.EffectiveField> effective
function mail.personal.clear(user, account, section) end

---@class mail.RecordMessage
---@field direction "inbound"|"outbound"
---@field message_id string
---@field conversation_id string? the ID a sent message carried (`PREFIX123`)
---@field at string ISO 8601
---@field from string
---@field to string[]
---@field subject string
---@field body string
---@field rule string? what attached received mail: "conversation-id", "references", "record-number", "subject", "new", "manual"
---@field delivery "pending"|"sending"|"sent"|"failed"|"rejected"|nil sent mail: where its delivery stands
---@field delivery_reply string? sent mail: the server's last reply

---@class mail.Record
---@field number string `INC0000012`
---@field account string
---@field subject string
---@field status "open"|"closed"
---@field requester string
---@field created_at string ISO 8601
---@field version integer
---@field messages mail.RecordMessage[]? only from mail.record.get

---@class mail.SentReply
---@field record string
---@field conversation_id string `{CMI: PREFIX123}`
---@field message_id string
---@field subject string
---@field to string[]
---@field outbox_id integer the outbox entry (`mailsh outbox list`)
---@field status "pending" queued: sent after the script commits

---@class mail.HeldMessage
---@field id integer
---@field from string
---@field subject string
---@field reason string
---@field message_id string?
---@field received_at string
---@field answered_at string? when a person last answered its sender (`mail.record.answer`)
---@field answered_by string?

---@class mail.HeldAnswer
---@field held_id integer
---@field message_id string
---@field subject string `Re: ` and the held message's subject
---@field to string[] the held message's sender
---@field in_reply_to string? the held message's Message-ID
---@field outbox_id integer the outbox entry (`mailsh outbox list`)
---@field status "pending" queued: sent after the script commits

---@class mail.MatchResult
---@field verdict "record"|"new"|"ambiguous"|"skipped"
---@field record string? with verdict "record"
---@field rule "conversation-id"|"references"|"record-number"|"subject"|nil with verdict "record"
---@field reason string? with verdict "ambiguous" or "skipped"
---@field evidence string what decided, in a sentence
---@field subject string
---@field from string?
---@field message_id string?

mail.record = {}

---Opens a record for a global account's mailbox.
---@param fields { account: string|mail.Account, subject: string, requester: string }
---@return mail.Record
function mail.record.create(fields) end

---The record with its messages, or nil.
---@param number string `INC0000012` or `inc12`
---@return mail.Record?
function mail.record.get(number) end

---Records, newest first.
---@param options? { account: string|mail.Account, status: "open"|"closed", limit: integer }
---@return mail.Record[]
function mail.record.list(options) end

---Closes a record.
---@param number string
---@return mail.Record
function mail.record.close(number) end

---Opens a closed record again.
---@param number string
---@return mail.Record
function mail.record.reopen(number) end

---Sends mail about a record through its account's outgoing server, with the next conversation ID.
---@param number string
---@param options? { body: string, to: string[]|string }
---@return mail.SentReply
function mail.record.reply(number, options) end

---Mail the monitor held for a person.
---@param options? { account: string|mail.Account }
---@return mail.HeldMessage[]
function mail.record.held(options) end

---Answers the sender of a held message (only its sender) through the account that received it; it stays held.
---@param id integer the held message's id (`mail.record.held`)
---@param options? { body: string }
---@return mail.HeldAnswer
function mail.record.answer(id, options) end

---Which record a raw message belongs to, and why (nothing is stored).
---@param raw string the message, RFC 5322
---@param account string|mail.Account the global account it arrived for
---@return mail.MatchResult
function mail.match(raw, account) end
