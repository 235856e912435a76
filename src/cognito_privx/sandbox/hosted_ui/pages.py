"""The hosted UI's HTML: the classic sign-in page, the new-password page and the error page.

Plain forms that work without JavaScript, with stable markup a test or a script can find:
``<form method="post" action="...">``, ``<input name="username">``, ``<input name="password" type="password">``,
``<input type="hidden" name="_csrf" value="...">`` and a submit button. Element ids follow the classic hosted
UI's (``signInFormUsername``, ``signInFormPassword``, ``signInSubmitButton``, ``loginErrorMessage``), so a
browser test written against the sandbox reads the same page as against Cognito. Every value is HTML-escaped.
"""

from __future__ import annotations

from html import escape

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f4f4; margin: 0; }
main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 6px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.1rem; font-weight: 600; }
label { display: block; margin-top: .8rem; font-size: .9rem; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .45rem; margin-top: .2rem; }
button { margin-top: 1.2rem; width: 100%; padding: .55rem; background: #1f6fb2; color: #fff; border: 0;
         border-radius: 4px; font-size: 1rem; }
.error { color: #b00020; font-size: .9rem; }
.sandbox { color: #777; font-size: .75rem; margin-top: 1.5rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n"
        '<p class="sandbox">Amazon Cognito hosted UI stand-in (cognito-privx sandbox)</p>\n'
        "</main>\n</body>\n</html>\n"
    )


def _error(message: str | None, element_id: str) -> str:
    return f'<p class="error" id="{element_id}">{escape(message)}</p>\n' if message else ""


def sign_in(action: str, csrf: str, *, error: str | None = None, username: str = "") -> str:
    body = (
        "<h1>Sign in with your username and password</h1>\n"
        + _error(error, "loginErrorMessage")
        + f'<form method="post" action="{escape(action)}" name="cognitoSignInForm">\n'
        f'<input type="hidden" name="_csrf" value="{escape(csrf)}">\n'
        '<label for="signInFormUsername">Username</label>\n'
        f'<input id="signInFormUsername" name="username" type="text" value="{escape(username)}" '
        'autocomplete="username" autocapitalize="none" required>\n'
        '<label for="signInFormPassword">Password</label>\n'
        '<input id="signInFormPassword" name="password" type="password" autocomplete="current-password" required>\n'
        '<button type="submit" id="signInSubmitButton" name="signInSubmitButton">Sign in</button>\n'
        "</form>"
    )
    return _page("Signin", body)


def new_password(action: str, csrf: str, session: str, *, error: str | None = None) -> str:
    body = (
        "<h1>Change Password</h1>\n<p>Please enter a new password.</p>\n"
        + _error(error, "newPasswordErrorMessage")
        + f'<form method="post" action="{escape(action)}" name="cognitoNewPasswordForm">\n'
        f'<input type="hidden" name="_csrf" value="{escape(csrf)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        '<label for="new_password">New Password</label>\n'
        '<input id="new_password" name="new_password" type="password" autocomplete="new-password" required>\n'
        '<label for="confirm_password">Enter New Password Again</label>\n'
        '<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required>\n'
        '<button type="submit" id="newPasswordSubmitButton" name="newPasswordSubmitButton">Send</button>\n'
        "</form>"
    )
    return _page("Change Password", body)


def error(code: str, description: str) -> str:
    body = (
        "<h1>An error was encountered with the requested page.</h1>\n"
        f'<p class="error" id="errorCode">{escape(code)}</p>\n'
        f'<p id="errorDescription">{escape(description)}</p>'
    )
    return _page("Error", body)
