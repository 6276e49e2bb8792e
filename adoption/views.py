from flask import Blueprint

bp = Blueprint("adoption", __name__, url_prefix="/adoption", template_folder="templates")
