from cognito_privx.cli import main

main()
