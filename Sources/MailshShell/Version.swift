/// The version `mailsh --version` prints and the manual page names.
public let mailshVersion = "0.9.0"
