FROM ubuntu:latest
MAINTAINER ops@example.com
ENV DB_PASSWORD=hunter2
RUN apt-get update
RUN apt-get install -y openssh-server curl sudo
RUN apt-get dist-upgrade -y
ADD https://example.com/tool.tar.gz /opt/
RUN cd /opt && tar xzf tool.tar.gz
EXPOSE 22 80
CMD /usr/sbin/sshd -D
CMD ["nginx"]
