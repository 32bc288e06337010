"""A URLconf for error-handling tests: views that fail on purpose, mounted beside the real ones."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


def boom_page(request):
    raise RuntimeError("secret detail /etc/jutsu/settings.py SELECT * FROM accounts_user")


class BoomApi(APIView):
    permission = "public"

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM no_such_table")
        return Response({})


def echo_ip(request):
    return JsonResponse({"ip": request.client_ip})


urlpatterns = [
    path("boom/", boom_page),
    path("api/boom", BoomApi.as_view()),
    path("echo-ip/", echo_ip),
    path("", include("jutsu.urls")),
]

handler404 = "jutsu.views.page_not_found"
handler500 = "jutsu.views.server_error"
