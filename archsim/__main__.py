from archsim.cli import main

main()
