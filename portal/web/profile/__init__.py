"""The signed-in user's own profile: details, language, password, email address, sessions, recent sign-ins."""
