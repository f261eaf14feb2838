"""The Functions app: registers the blueprints in functions/ and nothing else."""

import azure.functions as func

from functions.api import bp as api
from functions.scan import bp as scan

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(scan)
app.register_functions(api)
