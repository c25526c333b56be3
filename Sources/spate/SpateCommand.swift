import ArgumentParser

/// The `spate` command line.
@main
struct SpateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spate",
        abstract: "Spate: Spark Streaming's DStream model as one fast native program.",
        subcommands: [Demo.self],
        defaultSubcommand: Demo.self

    )
}
