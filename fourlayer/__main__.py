from fourlayer.cli import main

main()
