import HostCLI

HostLogging.bootstrap()
await HostMain.run()
