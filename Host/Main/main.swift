import HostCLI

HostLogging.bootstrap()
await HostCommand.main()
