FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 3000
# TEMPORAL_ADDRESS is set by docker-compose.yml, so `npm start` connects to it instead of starting a dev server.
CMD ["npm", "start"]
