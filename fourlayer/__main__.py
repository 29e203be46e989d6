from fourlayer.cli.main import main

main()
